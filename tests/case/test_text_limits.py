"""Free text: sentences end where a clinician's do, reading grows linearly, and limits are named."""

from __future__ import annotations

import time

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


@pytest.mark.parametrize("gap", ["\n", "\n\n", "\n- "])
def test_a_new_line_starting_a_new_statement_ends_the_sentence(gap: str) -> None:
    text = f"No fever{gap}Rugger-jersey spine on the lateral radiograph"
    assert _status(text, RUGGER) == ["present"]


def test_a_line_wrapped_inside_a_sentence_keeps_it_whole() -> None:
    assert _status("There was no fever and\nrugger-jersey spine on the radiograph", RUGGER) == [
        "negated"
    ]


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


def test_reading_grows_about_linearly_with_the_text() -> None:
    part = "Diffuse osteosclerosis, no fever, bone pain and anaemia; ALP 300 U/L. "
    reader = default_context().text
    reader.read(part)

    def seconds(n: int) -> float:
        start = time.perf_counter()
        reader.read(part * n)
        return time.perf_counter() - start

    small, large = seconds(100), seconds(600)
    # Six times the text: well under the 36 times a quadratic reading would take.
    assert large < 15 * max(small, 0.01)


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
