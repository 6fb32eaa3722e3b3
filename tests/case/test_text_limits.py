"""Free text: sentences end where a clinician's do, reading grows linearly, and limits are named."""

from __future__ import annotations

import pytest

from osteodx.case import CaseInputError, default_context, parse_case_form
from osteodx.case._build import MAX_TEXT_CHARS
from osteodx.case._text import QUOTE_CHARS

RUGGER = "HP:0004576"  # Rugger jersey vertebral sclerosis


def _status(text: str, finding: str) -> list[str]:
    return [m.status for m in default_context().text.read(text) if m.finding_id == finding]


@pytest.mark.parametrize("unit", ["U/L", "IU/L", "mg/dL", "ug/L", "mmol/L", "U"])
def test_a_unit_with_its_full_stop_ends_the_sentence(unit: str) -> None:
    text = f"There was no fever and the ALP was 90 {unit}. A rugger-jersey spine was seen."
    assert _status(text, RUGGER) == ["present"]


def test_an_abbreviation_does_not_end_a_negation_early() -> None:
    assert _status("No rugger-jersey spine was seen by Dr. Smith.", RUGGER) == ["negated"]


@pytest.mark.parametrize(
    "text",
    [
        "No fever\n\nRugger-jersey spine on the lateral radiograph",
        "No fever\n- Rugger-jersey spine on the lateral radiograph",
        "No fever.\nRugger-jersey spine on the lateral radiograph",
        "Findings: no fever\nALP 90 U/L\nRugger-jersey spine on the lateral radiograph",
    ],
)
def test_a_new_line_that_ends_a_statement_ends_the_sentence(text: str) -> None:
    assert _status(text, RUGGER) == ["present"]


@pytest.mark.parametrize(
    ("text", "finding", "status"),
    [
        ("There was no fever and\nrugger-jersey spine on the radiograph", RUGGER, "negated"),
        ("The patient denies\nBone pain or fractures.", "HP:0002653", "negated"),
        ("No history of\nRenal failure or dialysis.", "OSX:dialysis", "negated"),
        ("Family history: mother with\nParathyroid adenoma.", "HP:0000843", "family"),
    ],
)
def test_a_hard_wrapped_sentence_keeps_its_negation_and_family_cues(
    text: str, finding: str, status: str
) -> None:
    found = [m for m in default_context().text.read(text) if m.finding_id == finding]
    assert found and all(m.status == status for m in found), found


def test_a_long_text_reads_as_its_parts_do() -> None:
    part = (
        "There was no fever and the ALP was 90 U/L. A rugger-jersey spine was seen. "
        "No bone pain was reported; PSA 3 ng/mL. "
    )
    reader = default_context().text
    one = [(m.finding_id, m.status, m.sentence) for m in reader.read(part)]
    many = [(m.finding_id, m.status, m.sentence) for m in reader.read(part * 200)]
    mentions_per_part = [m for m in one if not m[0].startswith("lab:")]
    assert [m for m in many if not m[0].startswith("lab:")] == mentions_per_part * 200
    assert sorted(m for m in many if m[0].startswith("lab:")) == sorted(
        [m for m in one if m[0].startswith("lab:")] * 200
    )


def test_a_quoted_sentence_is_cut_around_its_mention() -> None:
    text = "Bone pain, " + ", ".join(f"item {i}" for i in range(400)) + " without a stop"
    (match,) = [m for m in default_context().text.read(text) if m.finding_id == "HP:0002653"]
    assert len(match.sentence) <= QUOTE_CHARS + 6 and "Bone pain" in match.sentence


def _form(notes: str) -> dict[str, object]:
    return {"id": "t1", "sex": "male", "age": 50, "findings": ["HP:0005789"], "notes": notes}


def test_a_text_above_the_limit_is_refused_naming_the_field_and_the_limit() -> None:
    with pytest.raises(CaseInputError) as exc:
        parse_case_form(_form("bone pain. " * (MAX_TEXT_CHARS // 10)), "form")
    (issue,) = exc.value.errors
    assert issue.loc == "notes" and f"{MAX_TEXT_CHARS:,}" in issue.message


def test_a_lone_surrogate_in_a_text_is_refused_naming_the_field() -> None:
    with pytest.raises(CaseInputError) as exc:
        parse_case_form(_form("bone pain \ud800 here"), "form")
    (issue,) = exc.value.errors
    assert issue.loc == "notes" and "surrogate" in issue.message
