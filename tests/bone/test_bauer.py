"""Modified Bauer score: every worked example of the reference, minimum, maximum, bad values.

Expected values: /work/shared/reference/bone-metastasis-scores.md section 6.5 (B1-B7); four
items of one point each (6.1: Bauer 1995 PMID 7740944 without the fracture item, Leithner 2008
PMID 18787846); groups 0-1 / 2 / 3-4 (6.2). B7 uses the lung-carcinoid convention of 6.4.
"""

from __future__ import annotations

import pytest

from osteodx.bone import BoneInputError, compute_score, score_declaration

KEYS = ("visceral", "lung_cancer", "primary", "bone")
EXAMPLES = [
    ("B1 NSCLC, liver mets", ("present", "yes", "other", "multiple"), 0, "poor"),
    ("B2 gastric, lung mets", ("present", "no", "other", "multiple"), 1, "poor"),
    ("B3 prostate", ("absent", "no", "prostate", "multiple"), 2, "moderate"),
    ("B4 breast, liver mets", ("present", "no", "breast", "multiple"), 2, "moderate"),
    ("B5 kidney", ("absent", "no", "kidney", "multiple"), 3, "good"),
    ("B6 myeloma solitary", ("absent", "no", "myeloma", "solitary"), 4, "good"),
    ("B7 bronchial atypical carcinoid", ("absent", "no", "net", "solitary"), 3, "good"),
    ("B7 counted as lung cancer", ("absent", "yes", "net", "solitary"), 2, "moderate"),
]


@pytest.mark.parametrize(("ref", "values", "total", "group"), EXAMPLES)
def test_worked_example_gives_the_reference_total_and_group(
    ref: str, values: tuple[str, ...], total: int, group: str
) -> None:
    """Reference 6.5 (B1-B7, B7 both ways); items 6.1, groups 6.2."""
    r = compute_score("bauer", dict(zip(KEYS, values, strict=True)))
    assert r.total == total, ref
    assert r.category is not None and r.category.id == group, ref


def test_minimum_is_0_and_maximum_is_4() -> None:
    """Reference 6.1: four favourable findings, total 0-4 (the fracture item is dropped)."""
    decl = score_declaration("bauer")
    assert (decl.total_min, decl.total_max) == (0, 4)
    assert [i.name for i in decl.items] == ["visceral", "lung_cancer", "primary", "bone"]


def test_prostate_is_not_a_favourable_primary() -> None:
    """Reference 6 (Bauer 1995): favourable = breast, kidney, lymphoma, myeloma."""
    r = compute_score(
        "bauer",
        {"visceral": "absent", "lung_cancer": "no", "primary": "prostate", "bone": "solitary"},
    )
    assert r.items[2].value == "other" and r.items[2].points == 0


@pytest.mark.parametrize(("item", "value"), [("primary", "colon_cancer"), ("visceral", "maybe")])
def test_undeclared_value_is_rejected(item: str, value: str) -> None:
    values = {**dict(zip(KEYS, EXAMPLES[0][1], strict=True)), item: value}
    with pytest.raises(BoneInputError) as exc:
        compute_score("bauer", values)
    assert exc.value.field == f"bauer.{item}"
