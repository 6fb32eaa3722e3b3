"""A tumour term a case mentions answers the matching cancer history (no silence penalty)."""

from __future__ import annotations

import pytest

from osteodx.case import parse_case_form
from osteodx.differential import explain
from osteodx.differential._compiled import compiled_kb


def _not_mentioned_ids(findings: list[str], key: str, excluded: tuple[str, ...] = ()) -> set[str]:
    case = parse_case_form(
        {"id": "t", "age": 30, "sex": "female", "findings": findings, "excluded": list(excluded)},
        "test",
    )
    diagnosis = next(d for d in explain(case, compiled_kb()).diagnoses if d.key == key)
    return {c.finding_id for c in diagnosis.contributions if c.match == "not_mentioned"}


@pytest.mark.parametrize(
    ("tumour", "key", "history"),
    [
        ("Neoplasm of the lung", "metastasis_lung", "OSX:history_lung_cancer"),
        ("Neoplasm of the breast", "metastasis_breast", "OSX:history_breast_cancer"),
        ("Bladder carcinoma", "metastasis_other", "OSX:history_other_carcinoma"),
        ("Neoplasm of the rectum", "metastasis_other", "OSX:history_other_carcinoma"),
        ("Carcinoid tumor of the pancreas", "metastasis_nen", "OSX:history_nen"),
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


def test_an_excluded_tumour_does_not_answer_the_history() -> None:
    silent = _not_mentioned_ids(
        ["Patchy osteosclerosis"], "metastasis_lung", excluded=("Neoplasm of the lung",)
    )
    assert "OSX:history_lung_cancer" in silent


@pytest.mark.parametrize(
    ("tumour", "key", "history"),
    [
        ("Pulmonary hamartoma", "metastasis_lung", "OSX:history_lung_cancer"),
        ("Pulmonary lymphangiomyomatosis", "metastasis_lung", "OSX:history_lung_cancer"),
        ("Fibroadenoma of the breast", "metastasis_breast", "OSX:history_breast_cancer"),
        ("Myeloproliferative disorder", "leukemia", "OSX:history_leukaemia"),
        ("Renal angiomyolipoma", "metastasis_other", "OSX:history_other_carcinoma"),
        ("Carcinoid tumor of the pancreas", "metastasis_other", "OSX:history_other_carcinoma"),
    ],
)
def test_a_benign_term_below_an_answering_term_does_not_answer(
    tumour: str, key: str, history: str
) -> None:
    assert history in _not_mentioned_ids(["Patchy osteosclerosis", tumour], key)


def test_small_cell_lung_carcinoma_answers_the_nen_history_not_lung_cancer() -> None:
    findings = ["Patchy osteosclerosis", "Small cell lung carcinoma"]
    assert "OSX:history_nen" not in _not_mentioned_ids(findings, "metastasis_nen")
    assert "OSX:history_lung_cancer" in _not_mentioned_ids(findings, "metastasis_lung")


def test_batch_scoring_equals_single_scoring_with_answering_terms() -> None:
    from osteodx.batch import BatchScorer
    from osteodx.differential import posterior, score

    kb = compiled_kb()
    cases = [
        parse_case_form(
            {"id": f"c{i}", "age": 55, "sex": "female", "findings": present, "excluded": excluded},
            "test",
        )
        for i, (present, excluded) in enumerate(
            [
                (["Patchy osteosclerosis", "Neoplasm of the lung"], []),
                (["Patchy osteosclerosis"], ["Neoplasm of the lung"]),
                (["Patchy osteosclerosis", "Pulmonary hamartoma"], ["Neoplasm of the breast"]),
                (["Generalized osteosclerosis", "Small cell lung carcinoma"], []),
                (["Patchy osteosclerosis", "Bladder carcinoma"], ["Leukemia"]),
            ]
        )
    ]
    batch = BatchScorer(kb).posteriors(cases)
    for row, case in zip(batch, cases, strict=True):
        assert row.tolist() == posterior(score(case, kb)).tolist()
