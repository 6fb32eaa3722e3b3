"""Revised Tokuhashi score: every worked example of the reference, minimum, maximum, bad values.

Expected values: /work/shared/reference/bone-metastasis-scores.md section 3.5 (T1-T6); item table
3.1 as reproduced in NICE CG75 appendix 3 (corrections by Y. Tokuhashi), groups 0-8 / 9-11 /
12-15 from 3.2; T6 uses the NET = carcinoid convention of 3.4.
"""

from __future__ import annotations

import pytest

from osteodx.bone import BoneInputError, compute_score, score_declaration

KEYS = ("kps", "extraspinal", "vertebrae", "visceral", "primary", "frankel")
EXAMPLES = [
    ("T1", (30, 3, 3, "unremovable", "lung", "A"), 0, "lt_6_months"),
    ("T2 (colon = others)", (60, 1, 2, "none", "colon", "D"), 8, "lt_6_months"),
    ("T3", (60, 1, 2, "none", "kidney", "D"), 9, "ge_6_months"),
    ("T4", (90, 0, 1, "removable", "rectum", "C"), 12, "ge_1_year"),
    ("T5", (90, 0, 1, "none", "breast", "E"), 15, "ge_1_year"),
    ("T6 (small-bowel NET)", (70, 3, 3, "unremovable", "net", "E"), 8, "lt_6_months"),
]


@pytest.mark.parametrize(("ref", "values", "total", "group"), EXAMPLES)
def test_worked_example_gives_the_reference_total_and_group(
    ref: str, values: tuple[object, ...], total: int, group: str
) -> None:
    """Reference 3.5 (T1-T6); item table 3.1 (NICE CG75 app. 3), groups 3.2."""
    r = compute_score("tokuhashi", dict(zip(KEYS, values, strict=True)))
    assert r.total == total, ref
    assert r.category is not None and r.category.id == group, ref


def test_minimum_is_0_and_maximum_is_15() -> None:
    """Reference 3.1: the 2005 revision totals 0-15."""
    decl = score_declaration("tokuhashi")
    assert (decl.total_min, decl.total_max) == (0, 15)
    assert compute_score("tokuhashi", dict(zip(KEYS, EXAMPLES[0][1], strict=True))).total == 0
    assert compute_score("tokuhashi", dict(zip(KEYS, EXAMPLES[4][1], strict=True))).total == 15


def test_counts_are_typed_as_numbers_and_banded() -> None:
    """Reference 3.1: extraspinal foci >= 3 / 1-2 / 0 = 0 / 1 / 2; vertebrae >= 3 / 2 / 1."""
    base = {"kps": "80", "visceral": "none", "primary": "breast", "frankel": "e"}
    points = {
        (e, v): compute_score("tokuhashi", {**base, "extraspinal": str(e), "vertebrae": str(v)})
        for e in (0, 2, 7)
        for v in (1, 2, 5)
    }
    assert points[(0, 1)].items[1].points == 2 and points[(0, 1)].items[2].points == 2
    assert points[(2, 2)].items[1].points == 1 and points[(2, 2)].items[2].points == 1
    assert points[(7, 5)].items[1].points == 0 and points[(7, 5)].items[2].points == 0


def test_carcinoid_scores_5_and_colon_counts_as_other() -> None:
    """Reference 3.1: carcinoid tumour = 5; colon is not listed, so 'others' = 2."""
    base = {"kps": 80, "extraspinal": 0, "vertebrae": 1, "visceral": "none", "frankel": "e"}
    carcinoid = compute_score("tokuhashi", {**base, "primary": "carcinoid"})
    colon = compute_score("tokuhashi", {**base, "primary": "colon"})
    assert carcinoid.items[4].points == 5
    assert colon.items[4].value == "other" and colon.items[4].points == 2


@pytest.mark.parametrize(
    ("item", "value", "why"),
    [
        ("kps", "120", "out of range"),
        ("kps", "0", "out of range"),
        ("kps", "45", "multiple of 10"),
        ("kps", "good", "whole number"),
        ("vertebrae", "0", "out of range"),
        ("extraspinal", "-1", "out of range"),
        ("frankel", "F", "accepted value"),
        ("primary", "martian", "accepted value"),
    ],
)
def test_undeclared_or_out_of_range_value_is_rejected(item: str, value: str, why: str) -> None:
    values: dict[str, str | int] = dict(zip(KEYS, EXAMPLES[4][1], strict=True))
    values[item] = value
    with pytest.raises(BoneInputError) as exc:
        compute_score("tokuhashi", values)
    assert exc.value.field == f"tokuhashi.{item}"
    assert why in exc.value.message


def test_survival_column_follows_nice_not_the_inverted_secondary_page() -> None:
    """Reference 3.2: 0-8 < 6 months, 9-11 >= 6 months, 12-15 >= 1 year (NICE CG75)."""
    labels = [(c.min, c.max, c.label) for c in score_declaration("tokuhashi").categories]
    assert labels == [(0, 8, "< 6 months"), (9, 11, "≥ 6 months"), (12, 15, "≥ 1 year")]
