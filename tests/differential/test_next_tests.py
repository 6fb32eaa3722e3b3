"""Next tests: listed in a clinician's order (blood and urine, imaging, tissue), chosen by
gain and by gain per burden; a leading neoplasm always lists tissue confirmation."""

from __future__ import annotations

from typing import Any

import pytest

from osteodx.knowledge._vocabulary import vocabulary


def _assessed(findings: list[str], tests: int = 3, **extra: object) -> Any:
    import osteodx
    from osteodx.case import parse_case_form

    document = {"id": "t", "age": 52, "sex": "female", "findings": findings, **extra}
    return osteodx.assess(parse_case_form(document, "form"), tests=tests, similar=0)


def test_a_leading_neoplasm_always_lists_tissue_confirmation_with_receptor_retesting() -> None:
    a = _assessed(["Breast carcinoma", "Patchy osteosclerosis"])
    assert a.differential.diagnoses[0].key == "metastasis_breast"
    biopsy = [t for t in a.next_tests if t.key == "bone_biopsy_ihc"]
    assert len(biopsy) == 1 and len(a.next_tests) == 3
    assert "tissue confirmation" in biopsy[0].reason and "ER, PR and HER2" in biopsy[0].reason


def test_no_tissue_confirmation_is_forced_when_a_non_neoplastic_cause_leads() -> None:
    a = _assessed(["Generalized osteosclerosis", "Cranial nerve compression"], age=6)
    assert a.differential.diagnoses[0].group != "neoplastic"
    assert all("tissue confirmation" not in t.reason for t in a.next_tests)


@pytest.mark.parametrize(
    ("findings", "age", "leading", "test"),
    [
        (
            ["Generalized osteosclerosis", "Cranial nerve compression"],
            6,
            "osteopetrosis",
            "sclerosing_dysplasia_panel",
        ),
        (["Breast carcinoma", "Patchy osteosclerosis"], 52, "metastasis_breast", "mammography"),
    ],
)
def test_the_leading_causes_confirmatory_test_is_listed_whatever_its_gain(
    findings: list[str], age: int, leading: str, test: str
) -> None:
    a = _assessed(findings, tests=2, age=age)
    assert a.differential.diagnoses[0].key == leading
    confirming = [t for t in a.next_tests if t.key == test]
    assert len(confirming) == 1 and len(a.next_tests) == 2
    assert "confirms or rules out the leading diagnosis" in confirming[0].reason
    assert a.differential.diagnoses[0].name in confirming[0].reason


def test_with_room_for_one_test_a_leading_neoplasm_gets_its_biopsy() -> None:
    a = _assessed(["Breast carcinoma", "Patchy osteosclerosis"], tests=1)
    assert [t.key for t in a.next_tests] == ["bone_biopsy_ihc"]


def test_a_confirmatory_test_already_answered_is_not_proposed_again() -> None:
    a = _assessed(
        ["Generalized osteosclerosis", "Cranial nerve compression"],
        tests=8,
        age=6,
        results={"sclerosing_dysplasia_panel": "negative"},
    )
    assert all(t.key != "sclerosing_dysplasia_panel" for t in a.next_tests)


CASES = [
    (["Breast carcinoma", "Patchy osteosclerosis"], {}),
    (["Generalized osteosclerosis", "Cranial nerve compression"], {"age": 6}),
    (["Patchy osteosclerosis", "Elevated circulating neuron-specific enolase concentration"], {}),
]


@pytest.mark.parametrize(("findings", "extra"), CASES)
def test_tests_are_listed_tier_by_tier_and_by_value_for_burden_within_a_tier(
    findings: list[str], extra: dict[str, object]
) -> None:
    tests = _assessed(findings, tests=6, **extra).next_tests
    order = vocabulary().test_order
    ranks = [(order.tier_of(t.kind)[0], -t.gain_per_burden) for t in tests]
    assert len(tests) >= 3 and ranks == sorted(ranks)
    assert all(t.tier == order.tier_of(t.kind)[1] for t in tests)


def test_the_best_value_tests_are_chosen_even_when_others_gain_more() -> None:
    findings = ["Patchy osteosclerosis", "Bone pain"]
    every_useful = _assessed(findings, tests=50).next_tests
    four = {t.key for t in _assessed(findings, tests=4).next_tests}
    best_value = sorted(every_useful, key=lambda t: -t.gain_per_burden)[:2]
    assert {t.key for t in best_value} <= four
    # The other half goes to the most informative tests, whatever their burden.
    rest = [t for t in every_useful if t not in best_value]
    assert max(rest, key=lambda t: t.expected_information_gain_bits).key in four


def test_a_test_that_would_barely_change_the_differential_is_not_listed() -> None:
    a = _assessed(["Patchy osteosclerosis", "Bone pain"], tests=50)
    floor = vocabulary().test_order.minimum_gain_bits
    assert all(t.expected_information_gain_bits >= floor or t.reason for t in a.next_tests)


def test_burden_is_relative_cost_times_relative_risk() -> None:
    order = vocabulary().test_order
    assert order.burden("low", "blood_draw") == 1.0
    assert (
        order.burden("high", "invasive")
        == order.cost_weight["high"] * order.risk_weight["invasive"]
    )
    assert order.burden("high", "invasive") > order.burden("medium", "minimally_invasive")
    assert order.tier_of("lab")[0] < order.tier_of("imaging")[0] < order.tier_of("biopsy")[0]
