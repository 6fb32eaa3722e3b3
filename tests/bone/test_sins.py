"""SINS: every worked example of the reference, minimum, maximum, undeclared values.

Expected values: /work/shared/reference/bone-metastasis-scores.md section 2.4 (S1-S6, points
from the item table 2.1 of Fisher 2010, DOI 10.1097/BRS.0b013e3181e16ae2; bands 0-6 stable,
7-12 potentially unstable, 13-18 unstable from 2.2).
"""

from __future__ import annotations

import pytest

from osteodx.bone import BoneInputError, compute_score, score_declaration

KEYS = ("location", "pain", "bone_lesion", "alignment", "collapse", "posterolateral")
EXAMPLES = [
    ("S1 (S3)", ("rigid", "none", "blastic", "normal", "none", "none"), 0, "stable"),
    (
        "S2 (T6)",
        ("semi_rigid", "occasional", "lytic", "normal", "none_gt_50_involved", "unilateral"),
        6,
        "stable",
    ),
    (
        "S3 (T6)",
        ("semi_rigid", "occasional", "lytic", "normal", "lt_50", "unilateral"),
        7,
        "potentially_unstable",
    ),
    (
        "S4 (L4)",
        ("mobile", "mechanical", "lytic", "normal", "lt_50", "unilateral"),
        10,
        "potentially_unstable",
    ),
    (
        "S4 at L5",
        ("junctional", "mechanical", "lytic", "normal", "lt_50", "unilateral"),
        11,
        "potentially_unstable",
    ),
    (
        "S5 (T12)",
        ("junctional", "mechanical", "lytic", "deformity", "lt_50", "unilateral"),
        13,
        "unstable",
    ),
    (
        "S6 (C7)",
        ("junctional", "mechanical", "lytic", "subluxation", "gt_50", "bilateral"),
        18,
        "unstable",
    ),
]


@pytest.mark.parametrize(("ref", "values", "total", "category"), EXAMPLES)
def test_worked_example_gives_the_reference_total_and_category(
    ref: str, values: tuple[str, ...], total: int, category: str
) -> None:
    """Reference 2.4 (S1-S6 and 'same at L5 = 11'); points 2.1, bands 2.2 (Fisher 2010)."""
    r = compute_score("sins", dict(zip(KEYS, values, strict=True)))
    assert r.total == total, ref
    assert r.category is not None and r.category.id == category, ref


def test_minimum_is_0_and_maximum_is_18() -> None:
    """Reference 2.1: total 0-18."""
    decl = score_declaration("sins")
    assert (decl.total_min, decl.total_max) == (0, 18)
    assert compute_score("sins", dict(zip(KEYS, EXAMPLES[0][1], strict=True))).total == 0
    assert compute_score("sins", dict(zip(KEYS, EXAMPLES[-1][1], strict=True))).total == 18


def test_pain_free_scores_0_and_occasional_pain_1() -> None:
    """Reference 2.1 (and its 'source errors': some pages print pain-free = 1)."""
    base = dict(zip(KEYS, EXAMPLES[0][1], strict=True))
    assert compute_score("sins", base).items[1].points == 0
    assert compute_score("sins", {**base, "pain": "occasional"}).items[1].points == 1


@pytest.mark.parametrize(("item", "value"), [("location", "coccyx"), ("collapse", "50")])
def test_undeclared_value_is_rejected_with_the_accepted_values(item: str, value: str) -> None:
    values = {**dict(zip(KEYS, EXAMPLES[0][1], strict=True)), item: value}
    with pytest.raises(BoneInputError) as exc:
        compute_score("sins", values)
    assert exc.value.field == f"sins.{item}"
    assert exc.value.accepted


def test_item_values_are_the_shell_spellings_of_the_issue() -> None:
    """Issue 6 fixes the SINS item names and values."""
    decl = score_declaration("sins")
    assert {i.name: tuple(c.value for c in i.choices) for i in decl.items} == {
        "location": ("junctional", "mobile", "semi_rigid", "rigid"),
        "pain": ("mechanical", "occasional", "none"),
        "bone_lesion": ("lytic", "mixed", "blastic"),
        "alignment": ("subluxation", "deformity", "normal"),
        "collapse": ("gt_50", "lt_50", "none_gt_50_involved", "none"),
        "posterolateral": ("bilateral", "unilateral", "none"),
    }
