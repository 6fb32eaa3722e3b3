"""Graded laboratory levels: a value far above its limit counts more, once, in its band."""

from __future__ import annotations

import math

import pytest

from osteodx.case import Case, parse_case_form
from osteodx.differential import explain
from osteodx.differential._compiled import compiled_kb
from osteodx.differential._result import DiagnosisResult

PSA_LEVELS = ("HP:0025020", "OSX:psa_above_20", "OSX:psa_above_100")


def _man(psa: str, age: int = 70) -> Case:
    return parse_case_form(
        {
            "id": "t",
            "age": age,
            "sex": "male",
            "findings": ["Patchy osteosclerosis"],
            "labs": {"psa": psa},
        },
        "test",
    )


def _psa_findings(case: Case) -> dict[str, bool]:
    return {f.id: f.present for f in case.findings if f.id in PSA_LEVELS}


def _diagnosis(case: Case, key: str) -> DiagnosisResult:
    return next(d for d in explain(case).diagnoses if d.key == key)


def _psa_product(diagnosis: DiagnosisResult) -> float:
    """Product of P(observation | diagnosis) over the PSA rows of the explanation."""
    rows = [c for c in diagnosis.contributions if c.finding_id in PSA_LEVELS]
    return math.prod(c.probability for c in rows)


def _listed(key: str, finding: str) -> float:
    kb = compiled_kb()
    return kb.annotations[kb.keys.index(key)][finding].frequency


def test_psa_150_records_both_graded_levels_as_observed() -> None:
    assert _psa_findings(_man("150 ng/mL")) == dict.fromkeys(PSA_LEVELS, True)


def test_psa_50_is_above_20_but_not_above_100() -> None:
    assert _psa_findings(_man("50 ng/mL")) == {
        "HP:0025020": True,
        "OSX:psa_above_20": True,
        "OSX:psa_above_100": False,
    }


def test_psa_8_is_raised_but_not_above_20() -> None:
    assert _psa_findings(_man("8 ng/mL")) == {"HP:0025020": True, "OSX:psa_above_20": False}


def test_psa_5_in_a_70_year_old_is_normal_and_records_no_graded_level() -> None:
    # Upper limit 6.5 ng/mL at 70-79 years (labs.yaml): only the raised-PSA term, excluded.
    assert _psa_findings(_man("5 ng/mL")) == {"HP:0025020": False}


def test_graded_finding_says_which_threshold_the_value_crossed() -> None:
    case = _man("150 ng/mL")
    above_100 = next(f for f in case.findings if f.id == "OSX:psa_above_100")
    assert above_100.origin == "lab"
    assert "150 ng/mL" in above_100.evidence and "above 100 ng/mL" in above_100.evidence


@pytest.mark.parametrize(
    ("psa", "expected"),
    [
        ("150 ng/mL", lambda f: f["OSX:psa_above_100"]),
        ("50 ng/mL", lambda f: f["OSX:psa_above_20"] - f["OSX:psa_above_100"]),
        ("8 ng/mL", lambda f: f["HP:0025020"] - f["OSX:psa_above_20"]),
    ],
)
def test_a_psa_value_counts_once_with_the_probability_of_its_band(psa: str, expected) -> None:
    """The levels chain (each conditional on the one below), so their product is the probability
    of the band the value falls in: P(>100), P(20-100) or P(raised, <=20), never P(raised) x
    P(>20) x P(>100)."""
    key = "metastasis_prostate"
    frequencies = {level: _listed(key, level) for level in PSA_LEVELS}
    product = _psa_product(_diagnosis(_man(psa), key))
    assert product == pytest.approx(expected(frequencies), rel=1e-9)


def test_a_cause_that_does_not_list_a_level_uses_its_declared_background() -> None:
    kb = compiled_kb()
    paget = _diagnosis(_man("150 ng/mL"), "paget_disease")
    rows = {c.finding_id: c for c in paget.contributions if c.finding_id in PSA_LEVELS}
    levels = {g.finding: g for lab in kb.knowledge.labs for g in lab.graded}
    for level in ("OSX:psa_above_20", "OSX:psa_above_100"):
        declared = levels[level].unlisted_given_parent
        assert declared is not None
        assert rows[level].match == "unlisted"
        assert rows[level].probability == pytest.approx(declared.value)
        assert rows[level].source == declared.source


def test_psa_above_100_argues_for_prostate_metastases_beyond_a_raised_psa() -> None:
    high = _diagnosis(_man("150 ng/mL"), "metastasis_prostate")
    mild = _diagnosis(_man("8 ng/mL"), "metastasis_prostate")
    graded = next(c for c in high.contributions if c.finding_id == "OSX:psa_above_100")
    assert graded.match == "graded" and graded.log10_lr > 0
    assert high.posttest > mild.posttest
    not_above_20 = next(c for c in mild.contributions if c.finding_id == "OSX:psa_above_20")
    assert not not_above_20.present and not_above_20.log10_lr < 0


def test_alkaline_phosphatase_level_is_relative_to_the_upper_limit_in_use() -> None:
    def alp_levels(value: str, age: int) -> dict[str, bool]:
        case = parse_case_form(
            {
                "id": "t",
                "age": age,
                "sex": "male",
                "findings": ["Patchy osteosclerosis"],
                "labs": {"alkaline phosphatase": value},
            },
            "test",
        )
        return {f.id: f.present for f in case.findings if "phosphatase" in f.label.casefold()}

    # Adult man: upper limit 129 U/L, so 300 U/L is above twice the limit ...
    assert alp_levels("300 U/L", 60)["OSX:alkaline_phosphatase_above_2x_uln"] is True
    # ... but a 5-year-old's limit is 335 U/L: 400 U/L is raised, not above twice the limit.
    assert alp_levels("400 U/L", 5)["OSX:alkaline_phosphatase_above_2x_uln"] is False


def test_a_level_without_a_level_below_counts_unconditionally() -> None:
    """25(OH)D has no 'raised' term: the level above 150 ng/mL stands alone, and a value below
    it records the level as excluded with 1 - P(level | k)."""
    case = parse_case_form(
        {
            "id": "t",
            "age": 40,
            "sex": "female",
            "findings": ["Generalized osteosclerosis"],
            "labs": {"25 oh vitamin d": "40 ng/mL"},
        },
        "test",
    )
    graded = [f for f in case.findings if f.id == "OSX:very_high_25oh_vitamin_d"]
    assert [(f.present, f.origin) for f in graded] == [(False, "lab")]
    hyper = _diagnosis(case, "hypervitaminosis")
    row = next(c for c in hyper.contributions if c.finding_id == "OSX:very_high_25oh_vitamin_d")
    assert row.match == "exact"
    assert row.probability == pytest.approx(
        1 - _listed("hypervitaminosis", "OSX:very_high_25oh_vitamin_d")
    )
