"""A tumour term a case mentions answers the matching cancer history (no silence penalty)."""

from __future__ import annotations

import pytest

from osteodx.case import parse_case_form
from osteodx.differential import explain
from osteodx.differential._compiled import compiled_kb


def _not_mentioned_ids(findings: list[str], key: str) -> set[str]:
    case = parse_case_form({"id": "t", "age": 30, "sex": "female", "findings": findings}, "test")
    diagnosis = next(d for d in explain(case, compiled_kb()).diagnoses if d.key == key)
    return {c.finding_id for c in diagnosis.contributions if c.match == "not_mentioned"}


@pytest.mark.parametrize(
    ("tumour", "key", "history"),
    [
        ("Neoplasm of the lung", "metastasis_lung", "OSX:history_lung_cancer"),
        ("Neoplasm of the breast", "metastasis_breast", "OSX:history_breast_cancer"),
        ("Bladder carcinoma", "metastasis_other", "OSX:history_other_carcinoma"),
    ],
)
def test_tumour_found_now_answers_the_history(tumour: str, key: str, history: str) -> None:
    silent = _not_mentioned_ids(["Patchy osteosclerosis"], key)
    assert history in silent  # without the tumour the silence counts against the cause
    assert history not in _not_mentioned_ids(["Patchy osteosclerosis", tumour], key)


def test_tumour_elsewhere_does_not_answer_another_history() -> None:
    silent = _not_mentioned_ids(
        ["Patchy osteosclerosis", "Neoplasm of the lung"], "metastasis_breast"
    )
    assert "OSX:history_breast_cancer" in silent
