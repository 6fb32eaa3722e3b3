"""Mirels score: every worked example of the reference, minimum, maximum, undeclared values.

Expected totals and bands: /work/shared/reference/bone-metastasis-scores.md section 1.4 (worked
examples M1-M6, totals computed from the item table of 1.1: Jawad & Scully 2010, PMID 20352387,
four items each 1-3; bands <= 7 / 8 / >= 9 from 1.2, Mirels 1989 PMID 2684463).
"""

from __future__ import annotations

import pytest

from osteodx.bone import BoneInputError, compute_score, score_declaration

EXAMPLES = [
    ("M1", "upper_limb", "mild", "blastic", "lt_1_3", 4, "le_7"),
    ("M2", "lower_limb", "moderate", "mixed", "lt_1_3", 7, "le_7"),
    ("M3", "lower_limb", "moderate", "mixed", "1_3_to_2_3", 8, "eq_8"),
    ("M4", "upper_limb", "functional", "lytic", "1_3_to_2_3", 9, "ge_9"),
    ("M5", "peritrochanteric", "mild", "lytic", "gt_2_3", 10, "ge_9"),
    ("M6", "peritrochanteric", "functional", "lytic", "gt_2_3", 12, "ge_9"),
]


@pytest.mark.parametrize(("ref", "site", "pain", "lesion", "size", "total", "band"), EXAMPLES)
def test_worked_example_gives_the_reference_total_and_band(
    ref: str, site: str, pain: str, lesion: str, size: str, total: int, band: str
) -> None:
    """Reference 1.4 (M1-M6); points from 1.1 (PMID 20352387), bands from 1.2."""
    r = compute_score("mirels", {"site": site, "pain": pain, "lesion": lesion, "size": size})
    assert r.status == "computed"
    assert r.total == total, ref
    assert r.category is not None and r.category.id == band, ref


def test_minimum_is_4_and_maximum_is_12() -> None:
    """Reference 1.1: each item 1-3, total 4-12."""
    low = compute_score(
        "mirels", {"site": "upper_limb", "pain": "mild", "lesion": "blastic", "size": "lt_1_3"}
    )
    high = compute_score(
        "mirels",
        {"site": "peritrochanteric", "pain": "functional", "lesion": "lytic", "size": "gt_2_3"},
    )
    assert (low.total, high.total) == (4, 12)
    decl = score_declaration("mirels")
    assert (decl.total_min, decl.total_max) == (4, 12)


def test_points_per_item_are_those_of_the_item_table() -> None:
    """Reference 1.1: site upper/lower/peritrochanteric = 1/2/3 (Jawad & Scully 2010)."""
    r = compute_score(
        "mirels",
        {"site": "peritrochanteric", "pain": "moderate", "lesion": "blastic", "size": "gt_2_3"},
    )
    assert [(i.name, i.points) for i in r.items] == [
        ("site", 3),
        ("pain", 2),
        ("lesion", 1),
        ("size", 3),
    ]


@pytest.mark.parametrize(("item", "value"), [("site", "arm"), ("size", "half"), ("pain", "4")])
def test_undeclared_value_is_rejected_with_the_accepted_values(item: str, value: str) -> None:
    values = {"site": "upper_limb", "pain": "mild", "lesion": "blastic", "size": "lt_1_3"}
    values[item] = value
    with pytest.raises(BoneInputError) as exc:
        compute_score("mirels", values)
    assert exc.value.field == f"mirels.{item}"
    accepted = {
        c.value for i in score_declaration("mirels").items if i.name == item for c in i.choices
    }
    assert set(exc.value.accepted) == accepted


def test_band_8_keeps_both_readings_of_the_sources() -> None:
    """Reference 1.2 discrepancy: 1989 abstract >= 8 fixation vs later '8 = judgement'."""
    r = compute_score(
        "mirels",
        {"site": "lower_limb", "pain": "moderate", "lesion": "mixed", "size": "1_3_to_2_3"},
    )
    assert r.category is not None
    readings = {x.name: x.text for x in r.category.readings}
    assert readings == {"common": "clinical judgement", "mirels_1989": "prophylactic fixation"}


def test_fracture_risk_figures_are_flagged_unverified() -> None:
    """Reference 1.2: the per-band fracture risks come only from a teaching blog (unverified)."""
    for cat in score_declaration("mirels").categories:
        assert cat.outcomes and all(o.unverified for o in cat.outcomes)


def test_middle_size_band_reports_its_convention() -> None:
    """Reference 1.1 convention: exactly 1/3 or exactly 2/3 scores 2."""
    r = compute_score(
        "mirels",
        {"site": "lower_limb", "pain": "moderate", "lesion": "mixed", "size": "1_3_to_2_3"},
    )
    assert any("exactly 1/3" in c for c in r.conventions)


def test_item_values_are_the_shell_spellings_of_the_issue() -> None:
    """Issue 6 fixes the Mirels item names and values."""
    decl = score_declaration("mirels")
    assert {i.name: tuple(c.value for c in i.choices) for i in decl.items} == {
        "site": ("upper_limb", "lower_limb", "peritrochanteric"),
        "pain": ("mild", "moderate", "functional"),
        "lesion": ("blastic", "mixed", "lytic"),
        "size": ("lt_1_3", "1_3_to_2_3", "gt_2_3"),
    }
