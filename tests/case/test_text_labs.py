"""Laboratory values written in free text: the scanner, the reader's context, and the case.

The scanner and case tests use the shipped ``labs.yaml`` (names, units and ranges of the real
analytes); the numbers in the texts are made up for the tests.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osteodx.case import Case, parse_case_form, parse_fhir_bundle, parse_phenopacket
from osteodx.case._build import ReadingContext, default_context
from osteodx.case._text import TextReader
from osteodx.case._textlabs import LabTextScanner, TextLabValue, parse_number
from osteodx.knowledge import load_knowledge


@pytest.fixture(scope="module")
def scanner() -> LabTextScanner:
    return LabTextScanner(load_knowledge().labs)


@pytest.fixture(scope="module")
def ctx() -> ReadingContext:
    return default_context()


def _one(scanner: LabTextScanner, text: str) -> TextLabValue:
    (found,) = scanner.scan(text)
    return found


def _form(ctx: ReadingContext, notes: str, **fields: Any) -> Case:
    document = {"id": "t", "age": 70, "sex": "male", "notes": notes, **fields}
    return parse_case_form(document, "form.yaml", ctx)


def _lab_findings(case: Case) -> set[tuple[str, bool]]:
    return {(f.id, f.present) for f in case.findings if f.origin == "lab"}


# --- the scanner: names, numbers, units -------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "analyte", "value", "unit"),
    [
        ("alkaline phosphatase 450 U/L", "alkaline_phosphatase", 450, "U/L"),
        ("ALP was 1,250 IU/L", "alkaline_phosphatase", 1250, "IU/L"),
        ("PSA 8 ug/L", "psa", 8, "ug/L"),
        ("serum tryptase of 35 ng/mL", "tryptase", 35, "ng/mL"),
        ("calcium 2.9 mmol/L", "calcium", 2.9, "mmol/L"),
        ("fluoride level 0.4 mg/L", "fluoride", 0.4, "mg/L"),
        ("Hb 8.2 g/dL", "haemoglobin", 8.2, "g/dL"),
        ("platelets 95 x 10^9/L", "platelets", 95, "10*9/L"),
        ("ALP was markedly elevated at 1537 U/L", "alkaline_phosphatase", 1537, "U/L"),
        ("alkaline phosphatase (ALP): 450 U/L", "alkaline_phosphatase", 450, "U/L"),
        ("ALP increased to 450 U/L", "alkaline_phosphatase", 450, "U/L"),
        ("PSA mildly raised (8 ug/L), raising a question", "psa", 8, "ug/L"),
        ("25(OH)D 12 ng/mL", "vitamin_d_25oh", 12, "ng/mL"),
        ("25-hydroxyvitamin D was 30 nmol/l", "vitamin_d_25oh", 30, "nmol/L"),
        ("blood lead level 45 \u00b5g/dL", "blood_lead", 45, "ug/dL"),
        ("urinary 5-HIAA 45 mg/24 h", "urine_5_hiaa", 45, "mg/d"),
        ("5-HIAA excretion of 45 mg/24 h", "urine_5_hiaa", 45, "mg/d"),
        ("eGFR 45 mL/min/1.73 m2", "egfr", 45, "mL/min/{1.73_m2}"),
        ("creatinine 1.2 mg/dl", "creatinine", 1.2, "mg/dL"),
        ("Mg 0.5 mmol/L", "magnesium", 0.5, "mmol/L"),
        ("calcium 10 mg%", "calcium", 10, "mg/dL"),
    ],
)
def test_name_then_number_and_unit_is_read(
    scanner: LabTextScanner, text: str, analyte: str, value: float, unit: str
) -> None:
    found = _one(scanner, text)
    assert (found.analyte, found.value, found.unit, found.problem) == (analyte, value, unit, "")


@pytest.mark.parametrize(
    ("written", "value"),
    [("1,250", 1250), ("12,500,000", 12_500_000), ("2,9", 2.9), ("0,125", 0.125), ("1.25", 1.25)],
)
def test_thousands_separators_and_decimal_commas_are_told_apart(written: str, value: float) -> None:
    assert parse_number(written) == pytest.approx(value)


def test_decimal_comma_value_is_read(scanner: LabTextScanner) -> None:
    assert _one(scanner, "hemoglobin of 8,2 g/dl").value == pytest.approx(8.2)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("WBC 12.5 \u00d7 10\u2079/L", "10*9/L"),
        ("platelet count 95 \u00d7 109/L", "10*9/L"),  # superscript lost in a copied abstract
        ("platelets 95,000/mm3", "/uL"),
        ("platelets 95 x 10^3/\u00b5L", "10*9/L"),
        ("leukocytes 3.2 G/L", "10*9/L"),
    ],
)
def test_count_units_are_read_with_their_power_of_ten(
    scanner: LabTextScanner, text: str, unit: str
) -> None:
    assert _one(scanner, text).unit == unit


@pytest.mark.parametrize("text", ["ESR 80 mm/h", "ESR of 80 mm in the first hour", "ESR 80 mm"])
def test_sedimentation_rate_in_millimetres_is_per_hour(scanner: LabTextScanner, text: str) -> None:
    assert (_one(scanner, text).value, _one(scanner, text).unit) == (80, "mm/h")


# --- reference intervals ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("ALP 450 U/L (normal 40-129)", (40, 129)),
        ("ALP 125 U/L (27-86).", (27, 86)),
        ("ALP 450 U/L, normal 40-129 U/L", (40, 129)),
        ("ALP 450 U/L [reference range: 40 to 129]", (40, 129)),
        ("PSA 8 ng/mL (normal < 4)", (None, 4)),
        ("PSA 8 ng/mL (N: 0-4 ng/mL)", (0, 4)),
        ("PSA 8 ng/mL (upper limit of normal 4)", (None, 4)),
        ("ALP (normal 40-129 U/L) was 450 U/L", (40, 129)),
        ("PSA raised (8 ng/mL; normal <4)", (None, 4)),
    ],
)
def test_reference_interval_is_kept_and_never_taken_as_the_value(
    scanner: LabTextScanner, text: str, reference: tuple[float | None, float | None]
) -> None:
    found = _one(scanner, text)
    assert found.value in (450, 125, 8)
    assert found.reference == reference


def test_interval_in_another_unit_is_not_used(scanner: LabTextScanner) -> None:
    found = _one(scanner, "calcium 2.9 mmol/L (normal 8.6-10.0 mg/dL)")
    assert (found.value, found.reference) == (2.9, None)


def test_unit_written_only_with_the_interval_is_the_value_unit(scanner: LabTextScanner) -> None:
    found = _one(scanner, "ALP 125 (27-86 U/L)")
    assert (found.value, found.unit, found.reference) == (125, "U/L", (27, 86))


def test_value_without_unit_is_returned_without_one(scanner: LabTextScanner) -> None:
    found = _one(scanner, "ALP 450, calcium normal.")
    assert (found.analyte, found.value, found.unit) == ("alkaline_phosphatase", 450, None)


@pytest.mark.parametrize(
    ("text", "comparator", "value"),
    [("PSA <0.1 ng/mL", "<", 0.1), ("tryptase >200 ng/mL", ">", 200), ("PSA above 100", ">", 100)],
)
def test_censored_values_keep_their_comparator(
    scanner: LabTextScanner, text: str, comparator: str, value: float
) -> None:
    found = _one(scanner, text)
    assert (found.comparator, found.value) == (comparator, value)


def test_values_of_several_analytes_in_one_sentence_are_each_read(
    scanner: LabTextScanner,
) -> None:
    text = "Serum calcium 11.4 mg/dL, phosphate 2.2 mg/dL; BUN 9 and creatinine 0.6 mg/dL."
    assert [(f.analyte, f.value) for f in scanner.scan(text)] == [
        ("calcium", 11.4),
        ("phosphate", 2.2),
        ("creatinine", 0.6),
    ]


# --- the scanner: what is not a value ----------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "voriconazole 200 mg daily for two years",
        "sodium fluoride 25 mg daily",
        "vitamin D 1000 IU daily",
        "calcium 1200 mg/day and calcitriol 0.25 ug",
        "dense sclerosis of T12 and L1",
        "a 2 x 3 cm sclerotic lesion",
        "PSA decreased by 50%",
        "PSA fell 50% after treatment",
        "ALP on 12/03/2019 was 450 U/L",
        "PSA in 2015 was 8 ng/mL",
        "PSA 8 years earlier was normal",
        "ALP at age 12 was raised",
        "CA 19-9 was 45 U/mL",
        "CA 125 of 300 U/mL",
        "ca. 3 cm in diameter",
        "200 mg magnesium and 1 g calcium",
        "urine calcium 330 mg/day",
        "calcium excretion was 330 mg/day",
        "bone ALP 181 U/L",
        "ionised calcium 1.1 mmol/L",
        "Ca2+ 1.1 mmol/L",
        "free PSA 0.8 ng/mL",
        "PSA density 0.15",
        "PTHrP 5 pmol/L",
        "direct bilirubin 0.8 mg/dL",
        "fluoride in the drinking water 4 mg/L",
        "drinking water fluoride 4 mg/L",
        "may lead to 3 fractures",
        "calcium and phosphate were 2.9 and 0.8 mmol/L",
        "ALP, GGT and LDH: 450, 300 and 200 U/L",
        "ACE inhibitor 10 mg",
        "no PSA measured",
        "PSA was not measured.",
    ],
)
def test_text_that_is_not_a_laboratory_value_gives_nothing(
    scanner: LabTextScanner, text: str
) -> None:
    assert scanner.scan(text) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ALP 450-500 U/L", "range"),
        ("ALP 3 times the upper limit of normal", "multiple of the upper limit"),
        ("ALP 3x ULN", "multiple of the upper limit"),
        ("ALP fell from 450 to 120 U/L", "series"),
        ("PSA rose from 8 ng/mL to 12 ng/mL", "series"),
        ("ALP 450 IU", "without a volume"),
        ("platelets 95 x 10^3/L", "count unit"),
    ],
)
def test_measurement_the_reader_cannot_use_is_reported_as_a_problem(
    scanner: LabTextScanner, text: str, problem: str
) -> None:
    found = _one(scanner, text)
    assert found.value is None
    assert problem in found.problem


# --- the reader: sentences and context -------------------------------------------------------
def _labs_read(reader: TextReader, text: str) -> list[tuple[str, str, str]]:
    return [(m.finding_id, m.status, m.sentence) for m in reader.read(text) if m.lab is not None]


def test_value_of_a_relative_is_marked_family(ctx: ReadingContext) -> None:
    assert _labs_read(ctx.text, "Her mother's calcium was 3.1 mmol/L.") == [
        ("lab:calcium", "family", "Her mother's calcium was 3.1 mmol/L.")
    ]


def test_hypothetical_value_is_marked_uncertain(ctx: ReadingContext) -> None:
    found = _labs_read(ctx.text, "Surgery is advised if calcium is 3.0 mmol/L or more.")
    assert [status for _, status, _ in found] == ["uncertain"]


def test_every_semicolon_ends_a_relative_or_a_condition(ctx: ReadingContext) -> None:
    found = _labs_read(
        ctx.text, "If ALP were above 300 U/L we would biopsy; ALP was 350 U/L; calcium 2.4 mmol/L."
    )
    assert [(finding, status) for finding, status, _ in found] == [
        ("lab:alkaline_phosphatase", "uncertain"),
        ("lab:alkaline_phosphatase", "present"),
        ("lab:calcium", "present"),
    ]


def test_negation_does_not_remove_a_written_value(ctx: ReadingContext) -> None:
    found = _labs_read(ctx.text, "No rise in ALP (95 U/L). Bone scan normal.")
    assert found == [("lab:alkaline_phosphatase", "present", "No rise in ALP (95 U/L).")]


def test_value_carries_its_own_sentence(ctx: ReadingContext) -> None:
    text = "Diffuse sclerosis of the spine. PSA 8 ng/mL; her brother had gout."
    assert _labs_read(ctx.text, text) == [
        ("lab:psa", "present", "PSA 8 ng/mL; her brother had gout.")
    ]


def test_values_survive_the_disk_cache(tmp_path: Path) -> None:
    reader = TextReader(load_knowledge())
    reader.use_disk_cache(tmp_path)
    first = reader.read("ALP was 1,250 IU/L (normal 40-129).")
    again = reader.read("ALP was 1,250 IU/L (normal 40-129).")
    assert first == again
    assert again[-1].lab is not None and again[-1].lab.reference == (40, 129)


# --- the case: same path as a coded lab ------------------------------------------------------
def test_value_read_from_text_gives_the_findings_of_the_same_coded_value(
    ctx: ReadingContext,
) -> None:
    from_text = _form(ctx, "PSA 150 ng/mL at presentation.")
    coded = parse_case_form(
        {"id": "t", "age": 70, "sex": "male", "labs": {"psa": "150 ng/mL"}}, "form.yaml", ctx
    )
    assert (
        _lab_findings(from_text)
        == _lab_findings(coded)
        == {
            ("HP:0025020", True),
            ("OSX:psa_above_20", True),
            ("OSX:psa_above_100", True),
        }
    )


def test_measurement_says_it_was_read_from_text_and_where(ctx: ReadingContext) -> None:
    case = _form(ctx, "Work-up. ALP was 1,250 IU/L.")
    (m,) = case.measurements
    assert (m.analyte, m.value, m.interpretation) == ("alkaline_phosphatase", 1250, "high")
    assert m.entered == "1,250 IU/L (read from text)"
    assert m.loc == 'notes "ALP was 1,250 IU/L"'
    (mention,) = case.text_mentions
    assert (mention.status, mention.sentence) == ("present", "ALP was 1,250 IU/L.")
    assert all("read from text" in f.evidence for f in case.findings if f.origin == "lab")


def test_phenopacket_description_value_points_at_the_description(ctx: ReadingContext) -> None:
    packet = {
        "id": "p",
        "subject": {"id": "s", "sex": "MALE"},
        "description": "Sclerotic lesions. Serum tryptase of 35 ng/mL.",
        "metaData": {"phenopacketSchemaVersion": "2.0"},
    }
    case = parse_phenopacket(packet, "p.json", ctx)
    assert [m.loc for m in case.measurements] == ['description "Serum tryptase of 35 ng/mL"']
    assert _lab_findings(case) == {("HP:0031901", True), ("OSX:tryptase_above_20", True),
                                   ("OSX:tryptase_above_200", False)}  # fmt: skip


def test_fhir_note_value_is_read(ctx: ReadingContext) -> None:
    patient = "urn:uuid:00000000-0000-4000-8000-000000000001"
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": patient, "resource": {"resourceType": "Patient", "gender": "male"}},
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {
                        "coding": [
                            {
                                "system": "http://purl.obolibrary.org/obo/hp.owl",
                                "code": "HP:0005789",
                                "display": "Generalized osteosclerosis",
                            }
                        ]
                    },
                    "subject": {"reference": patient},
                    "note": [{"text": "Found on work-up; PSA 8 ug/L."}],
                }
            },
        ],
    }
    case = parse_fhir_bundle(bundle, "b.json", ctx)
    assert [(m.analyte, m.value) for m in case.measurements] == [("psa", pytest.approx(8))]


def test_reference_interval_from_text_is_used_for_interpretation(ctx: ReadingContext) -> None:
    # 125 U/L is inside the shipped adult range (40-129) but above the 27-86 written with it.
    case = _form(ctx, "ALP 125 U/L (27-86).")
    (m,) = case.measurements
    assert (m.interpretation, m.reference_high, m.reference_source) == (
        "high",
        86,
        "reference range given with the value",
    )


def test_coded_measurement_wins_over_the_text_value(ctx: ReadingContext) -> None:
    case = _form(ctx, "ALP 450 U/L.", labs={"alkaline phosphatase": "100 U/L"})
    assert [(m.value, m.loc) for m in case.measurements] == [(100, "labs.alkaline phosphatase")]
    assert [m.status for m in case.text_mentions] == ["overridden"]
    assert ("HP:0003155", True) not in _lab_findings(case)


def test_second_different_text_value_is_ignored_with_a_warning(ctx: ReadingContext) -> None:
    case = _form(ctx, "ALP 450 U/L at presentation. A month later ALP was 900 U/L.")
    assert [m.value for m in case.measurements] == [450]
    assert [m.status for m in case.text_mentions] == ["present", "overridden"]
    (warning,) = [w for w in case.warnings if "second" in w.message]
    assert "the first is used" in warning.message and "900" in warning.message


def test_same_value_repeated_in_text_is_counted_once_without_warning(
    ctx: ReadingContext,
) -> None:
    case = _form(ctx, "PSA 8 ng/mL.", history=["prostate cancer"])
    repeated = _form(ctx, "PSA 8 ng/mL. On review PSA was 8 ng/mL.", history=["prostate cancer"])
    assert len(repeated.measurements) == 1
    assert not repeated.warnings
    assert _lab_findings(repeated) == _lab_findings(case)


def test_value_without_unit_is_read_when_only_one_unit_is_plausible(
    ctx: ReadingContext,
) -> None:
    case = _form(ctx, "ALP 450, otherwise unremarkable.")
    (m,) = case.measurements
    assert (m.value, m.unit) == (450, "U/L")
    assert "no unit written; read as U/L" in m.entered


def test_value_without_unit_is_skipped_with_a_warning_when_units_disagree(
    ctx: ReadingContext,
) -> None:
    # 2.4 is a plausible calcium in mg/dL and in mmol/L.
    case = _form(ctx, "Calcium 2.4, phosphate normal.")
    assert case.measurements == ()
    (warning,) = case.warnings
    assert "no unit" in warning.message and "mg/dL or mmol/L" in warning.message
    assert warning.loc == 'notes "Calcium 2.4"'


@pytest.mark.parametrize(
    ("notes", "says"),
    [
        ("Calcium 10 mEq/L.", "cannot be read"),
        ("ALP 50,000 U/L.", "implausible"),
        ("ALP 3 times the upper limit.", "multiple of the upper limit"),
        ("ALP 450-500 U/L.", "range"),
    ],
)
def test_unusable_text_value_is_a_warning_and_the_case_still_reads(
    ctx: ReadingContext, notes: str, says: str
) -> None:
    case = _form(ctx, notes)
    assert case.measurements == ()
    assert [w.level for w in case.warnings] == ["warning"]
    assert says in case.warnings[0].message


def test_value_of_a_relative_is_listed_but_not_counted(ctx: ReadingContext) -> None:
    case = _form(ctx, "His father's calcium was 3.1 mmol/L.")
    assert case.measurements == ()
    assert [(m.finding_id, m.status) for m in case.text_mentions] == [("lab:calcium", "family")]


def test_censored_value_above_a_level_counts_that_level_and_leaves_the_next_open(
    ctx: ReadingContext,
) -> None:
    case = _form(ctx, "PSA >20 ng/mL.")
    assert _lab_findings(case) == {("HP:0025020", True), ("OSX:psa_above_20", True)}


def test_censored_value_below_the_limit_reads_as_normal(ctx: ReadingContext) -> None:
    case = _form(ctx, "Tryptase <5 ng/mL.")
    assert _lab_findings(case) == {("HP:0031901", False)}


def test_censored_value_straddling_the_limits_is_skipped_with_a_warning(
    ctx: ReadingContext,
) -> None:
    case = _form(ctx, "Calcium <10 mg/dL.")  # could be low or normal
    assert case.measurements == ()
    assert "inside or outside" in case.warnings[0].message


def test_coded_finding_wins_over_a_finding_from_a_text_value(ctx: ReadingContext) -> None:
    case = _form(ctx, "Calcium 9.2 mg/dL.", findings=["Hypercalcemia"])
    assert [m.interpretation for m in case.measurements] == ["normal"]
    assert ("HP:0003072", True) in {(f.id, f.present) for f in case.findings}
    assert not any("both observed and excluded" in w.message for w in case.warnings)


def test_assessment_reports_show_the_value_was_read_from_text(ctx: ReadingContext) -> None:
    import osteodx
    from osteodx.report import render_html

    case = _form(ctx, "Diffuse osteosclerosis. PSA 150 ng/mL.")
    html = render_html(osteodx.assess(case, tests=1))
    assert "150 ng/mL (read from text)" in html
    assert "PSA 150 ng/mL" in html  # the phrase in the free-text table


# --- any text ----------------------------------------------------------------------------------
_PIECES = [
    "ALP", "alkaline phosphatase", "calcium", "Ca", "PSA", "Hb", "platelets", "ESR", "25(OH)D",
    "fluoride", "tryptase", " was ", " of ", ": ", " level ", "(", ")", "[", "]", ", ", "; ",
    ". ", " and ", " if ", " mother ", "normal", "450", "1,250", "2,9", "0.1", "95", "12/03/2019",
    "40-129", "<", ">", "~", "U/L", "IU/L", "mmol/L", "mg/dL", "g/dL", "ng/mL", "ug/L",
    "x 10^9/L", "/mm3", "mm/h", "mEq/L", "%", "mg", "IU", "x", "times", "ULN", "urine", "bone",
    "from", "to", " ", "\n", "T12", "2 x 3 cm",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=4), max_size=30).map("".join))
def test_any_text_gives_values_inside_it_or_nothing(text: str) -> None:
    for found in LabTextScanner(load_knowledge().labs).scan(text):
        assert 0 <= found.start < found.end <= len(text)
        assert (found.value is None) == bool(found.problem)
        assert found.value is None or math.isfinite(found.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_any_notes_read_into_a_case_with_warnings_never_errors(text: str) -> None:
    case = _form(default_context(), text)
    assert all(w.level == "warning" for w in case.warnings)
    assert len({m.analyte for m in case.measurements}) == len(case.measurements)
