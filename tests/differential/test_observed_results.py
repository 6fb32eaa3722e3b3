"""Observed work-up results (a biopsy, a PET) count in the posterior with the test's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from osteodx.case import parse_case_form
from osteodx.differential import compiled_kb, explain, posterior, score
from osteodx.differential._nexttests import observed


def _case(results: dict[str, str]):
    return parse_case_form(
        {
            "id": "c",
            "age": 55,
            "sex": "male",
            "findings": ["Generalized osteosclerosis"],
            "results": results,
        },
        "form.yaml",
    )


def test_negative_result_has_the_complement_of_the_declared_outcomes() -> None:
    kb = compiled_kb()
    test = next(t for t in kb.knowledge.tests if t.key == "dotatate_pet")
    positive = observed(kb, "dotatate_pet", 0).probability
    negative = observed(kb, "dotatate_pet", len(test.outcomes)).probability
    np.testing.assert_allclose(positive + negative, 1.0, atol=1e-3)


def test_an_sstr_avid_pet_favours_nen_and_a_negative_one_disfavours_it() -> None:
    kb = compiled_kb()
    nen = kb.keys.index("metastasis_nen")
    base = posterior(score(_case({}), kb))[nen]
    avid = posterior(score(_case({"dotatate_pet": "sstr_avid"}), kb))[nen]
    negative = posterior(score(_case({"dotatate_pet": "negative"}), kb))[nen]
    assert negative < base < avid


@pytest.mark.parametrize("outcome", ["sstr_avid", "negative"])
def test_the_explanation_itemises_the_result_and_adds_up(outcome: str) -> None:
    kb = compiled_kb()
    diff = explain(_case({"dotatate_pet": outcome}), kb)
    for d in diff.diagnoses[:5]:
        (item,) = [c for c in d.contributions if c.finding_id == "test:dotatate_pet"]
        assert item.support is not None and item.origin == "test"
        assert d.log10_composite_lr == pytest.approx(sum(c.log10_lr for c in d.contributions))


def test_explain_top_itemises_only_the_best_diagnoses_and_the_same_way() -> None:
    kb = compiled_kb()
    case = _case({"dotatate_pet": "sstr_avid"})
    full = explain(case, kb)
    short = explain(case, kb, top=3)
    assert [d.key for d in short.diagnoses] == [d.key for d in full.diagnoses]
    for a, b in zip(full.diagnoses[:3], short.diagnoses[:3], strict=True):
        assert a.contributions == b.contributions
    assert all(d.contributions == () for d in short.diagnoses[3:])
