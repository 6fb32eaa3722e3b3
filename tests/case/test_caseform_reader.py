"""The YAML case form: terms by id or label, labs with units, exposures, notes and errors."""

from __future__ import annotations

import pytest

from osteodx.case import CaseInputError, Sex, parse_case_form


def _read(ctx, **fields):
    return parse_case_form({"id": "c1", **fields}, "form.yaml", ctx)


def test_terms_by_id_and_exact_label_are_resolved(tiny_ctx) -> None:
    case = _read(tiny_ctx, findings=["HP:0003418", "generalized osteosclerosis"])
    assert [(f.id, f.present) for f in case.findings] == [
        ("HP:0003418", True),
        ("HP:0005789", True),
    ]


def test_excluded_terms_are_kept_as_absent_not_dropped(tiny_ctx) -> None:
    case = _read(tiny_ctx, excluded=["Back pain"])
    assert case.findings[0].present is False


def test_lab_above_range_becomes_the_high_term(tiny_ctx) -> None:
    case = _read(tiny_ctx, age=40, labs={"alkaline phosphatase": "350 U/L"})
    (m,) = case.measurements
    assert (m.value, m.interpretation) == (350, "high")
    assert any(f.id == "HP:0003155" and f.present for f in case.findings)


def test_normal_lab_excludes_high_and_low_terms(tiny_ctx) -> None:
    case = _read(tiny_ctx, age=40, labs={"calcium": "2.4 mmol/L"})
    assert {(f.id, f.present) for f in case.findings} == {
        ("HP:0003072", False),
        ("HP:0002901", False),
    }


def test_mass_units_are_converted_with_the_molar_mass(tiny_ctx) -> None:
    """Calcium 10 mg/dL = 100 mg/L / 40.078 g/mol = 2.495 mmol/L."""
    case = _read(tiny_ctx, age=40, labs={"calcium": "10 mg/dL"})
    assert case.measurements[0].value == pytest.approx(2.495, abs=0.001)


def test_reference_range_depends_on_age(tiny_ctx) -> None:
    child = _read(tiny_ctx, age=10, labs={"alp": "350 U/L"})
    assert child.measurements[0].interpretation == "normal"


def test_exposure_phrase_maps_to_its_local_finding(tiny_ctx) -> None:
    case = _read(tiny_ctx, exposures=["magic water"])
    assert [(f.id, f.present, f.origin) for f in case.findings] == [
        ("OSX:test_exposure", True, "form")
    ]


def test_exposure_written_with_no_is_excluded(tiny_ctx) -> None:
    case = _read(tiny_ctx, exposures=["no test exposure"])
    assert [(f.id, f.present) for f in case.findings] == [("OSX:test_exposure", False)]


def test_observed_and_excluded_at_once_is_a_warning_counted_as_observed(tiny_ctx) -> None:
    case = _read(tiny_ctx, findings=["Back pain"], excluded=["Back pain"])
    assert [(f.id, f.present) for f in case.findings] == [("HP:0003418", True)]
    assert any("both observed and excluded" in w.message for w in case.warnings)


def test_negated_phrase_in_notes_is_an_excluded_finding(tiny_ctx) -> None:
    case = _read(tiny_ctx, notes="There was no history of magic water. Back pain for years.")
    statuses = {(m.finding_id, m.status) for m in case.text_mentions}
    assert ("OSX:test_exposure", "negated") in statuses
    assert ("HP:0003418", "present") in statuses
    assert any(
        f.id == "OSX:test_exposure" and not f.present and f.origin == "text" for f in case.findings
    )


def test_coded_finding_wins_over_text(tiny_ctx) -> None:
    case = _read(tiny_ctx, excluded=["Back pain"], notes="Back pain.")
    assert [m.status for m in case.text_mentions] == ["overridden"]
    assert [f.present for f in case.findings if f.id == "HP:0003418"] == [False]


def test_sex_and_age_forms(tiny_ctx) -> None:
    case = _read(tiny_ctx, sex="F", age="38 days")
    assert case.sex is Sex.FEMALE
    assert case.age_years == pytest.approx(38 / 365.25)


@pytest.mark.parametrize(
    ("fields", "loc", "words"),
    [
        (
            {"findings": ["Sclerotic bonez"]},
            "findings[0]",
            "neither an HPO id nor an exact HPO label",
        ),
        (
            {"labs": {"alkaline phosphatase": "-5 U/L"}},
            "labs.alkaline phosphatase.value",
            "impossible",
        ),
        (
            {"labs": {"alkaline phosphatase": "350 furlongs"}},
            "labs.alkaline phosphatase.unit",
            "not recognised",
        ),
        ({"labs": {"unobtainium": "3 mg/L"}}, "labs.unobtainium", "not known"),
        ({"age": 300}, "age", "impossible"),
        ({"sex": "robot"}, "sex", "not recognised"),
        ({"exposures": ["moon dust"]}, "exposures[0]", "not recognised"),
        ({"colour": "blue"}, "colour", "unknown field"),
    ],
)
def test_bad_input_names_the_field_and_the_fix(tiny_ctx, fields, loc, words) -> None:
    with pytest.raises(CaseInputError) as info:
        _read(tiny_ctx, **fields)
    (issue,) = info.value.errors
    assert issue.loc == loc
    assert words in issue.message
    assert issue.fix


def test_missing_id_is_an_error(tiny_ctx) -> None:
    with pytest.raises(CaseInputError) as info:
        parse_case_form({"age": 30}, "form.yaml", tiny_ctx)
    assert info.value.errors[0].loc == "id"


def test_all_errors_are_reported_not_just_the_first(tiny_ctx) -> None:
    with pytest.raises(CaseInputError) as info:
        _read(tiny_ctx, age=-1, sex="robot", findings=["Sclerotic bonez"])
    assert {i.loc for i in info.value.errors} == {"age", "sex", "findings[0]"}


def test_an_unknown_hpo_id_is_skipped_with_a_warning_and_the_case_is_read(tiny_ctx) -> None:
    case = _read(tiny_ctx, findings=["HP:9999999", "HP:0003418"])
    assert [f.id for f in case.findings] == ["HP:0003418"]
    (warning,) = [w for w in case.warnings if w.loc == "findings[0]"]
    assert warning.level == "warning" and "not an HPO term" in warning.message
    assert "skipped" in warning.message


def test_strict_reading_refuses_an_unknown_code(tiny_ctx) -> None:
    from dataclasses import replace

    with pytest.raises(CaseInputError) as info:
        _read(replace(tiny_ctx, strict=True), findings=["HP:9999999", "HP:0003418"])
    assert [i.loc for i in info.value.errors] == ["findings[0]"]


def test_text_mention_of_a_broader_coded_term_is_not_counted_twice(tiny_ctx) -> None:
    # "back pain" (HP:0003418) in the notes is the parent of the coded Low back pain.
    case = _read(tiny_ctx, findings=["Low back pain"], notes="Chronic back pain.")
    assert [m.status for m in case.text_mentions] == ["overridden"]
    assert [f.id for f in case.findings] == ["HP:0003419"]


def test_wildcard_phrase_matches_one_intervening_word(tiny_kb) -> None:
    from osteodx.case._text import TextReader

    reader = TextReader(tiny_kb)
    reader._targets.append(("dense * vertebral body", "HP:0003418"))
    found = reader.read("Radiographs: uniformly dense L3 vertebral body. Dense vertebral body too.")
    assert [m.phrase for m in found] == ["dense L3 vertebral body", "Dense vertebral body"]


def test_observed_finding_implication_wins_over_a_negated_mention() -> None:
    from osteodx.case import parse_case_form as parse
    from osteodx.case._build import default_context

    ctx = default_context()  # needs the shipped vocabulary: voriconazole implies fluoride
    case = parse(
        {"id": "v", "treatments": ["voriconazole"], "notes": "No history of tea drinking."},
        "form.yaml",
        ctx,
    )
    fluoride = [f for f in case.findings if f.id == "OSX:fluoride_exposure"]
    assert [(f.present, f.origin) for f in fluoride] == [(True, "implied")]


def test_word_stating_absence_is_read_as_an_excluded_finding() -> None:
    from osteodx.case._build import default_context

    ctx = default_context()  # the shipped vocabulary: "asymptomatic" states bone pain is absent
    case = parse_case_form({"id": "a", "notes": "Asymptomatic man."}, "form.yaml", ctx)
    assert [(f.id, f.present, f.origin) for f in case.findings] == [("HP:0002653", False, "text")]


def test_negated_word_of_absence_says_nothing() -> None:
    from osteodx.case._build import default_context

    ctx = default_context()
    case = parse_case_form({"id": "a", "notes": "He was never asymptomatic."}, "form.yaml", ctx)
    assert all(f.id != "HP:0002653" for f in case.findings)


def test_coded_finding_wins_over_a_word_of_absence() -> None:
    from osteodx.case._build import default_context

    ctx = default_context()
    case = parse_case_form(
        {"id": "a", "findings": ["Bone pain"], "notes": "Asymptomatic until last year."},
        "form.yaml",
        ctx,
    )
    assert [(f.id, f.present) for f in case.findings] == [("HP:0002653", True)]


def test_a_history_item_and_the_term_that_answers_it_count_once() -> None:
    from osteodx.case import parse_case_form

    case = parse_case_form(
        {
            "id": "b",
            "age": 52,
            "sex": "female",
            "findings": ["Breast carcinoma", "Patchy osteosclerosis"],
            "notes": "History of breast cancer treated in 2019.",
        },
        "form",
    )
    ids = [f.id for f in case.findings]
    assert "HP:0003002" in ids and "OSX:history_breast_cancer" not in ids
    (mention,) = [m for m in case.text_mentions if m.finding_id == "OSX:history_breast_cancer"]
    assert mention.status == "overridden"


def test_a_broader_term_given_with_a_specific_one_counts_once_as_the_specific() -> None:
    from osteodx.case import parse_case_form

    case = parse_case_form(
        {
            "id": "n",
            "age": 50,
            "sex": "male",
            "findings": ["Peripheral neuropathy", "Polyneuropathy", "Patchy osteosclerosis"],
        },
        "form",
    )
    ids = [f.id for f in case.findings]
    assert "HP:0001271" in ids and "HP:0009830" not in ids
    assert not case.warnings  # ordinary coding: no warning


def test_two_forms_of_one_listed_finding_count_once_with_a_warning() -> None:
    from osteodx.case import parse_case_form

    case = parse_case_form(
        {
            "id": "n",
            "age": 50,
            "sex": "male",
            "findings": ["Polyneuropathy", "Sensorimotor neuropathy", "Patchy osteosclerosis"],
        },
        "form",
    )
    ids = [f.id for f in case.findings]
    assert ids.count("HP:0001271") == 1 and "HP:0007141" not in ids
    assert any("counted once" in w.message for w in case.warnings)
