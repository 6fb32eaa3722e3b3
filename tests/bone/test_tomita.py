"""Tomita score: every worked example of the reference, minimum, maximum, undeclared values.

Expected values: /work/shared/reference/bone-metastasis-scores.md section 4.5 (TO1-TO9); points
1/2/4, 0/2/4, 1/2 and bands 2-3 / 4-5 / 6-7 / 8-10 from 4.1-4.2 (corroborated by Onkologie 2007,
PMID 17848812); TO9 uses the NET G1/G2 = slow convention of 4.4.
"""

from __future__ import annotations

import pytest

from osteodx.bone import BoneInputError, compute_score, score_declaration

EXAMPLES = [
    ("TO1", "slow", "none", "solitary", 2, "long_term"),
    ("TO2", "moderate", "none", "solitary", 3, "long_term"),
    ("TO3", "moderate", "none", "multiple", 4, "middle_term"),
    ("TO4", "slow", "treatable", "multiple", 5, "middle_term"),
    ("TO5", "rapid", "none", "multiple", 6, "short_term"),
    ("TO6", "rapid", "treatable", "solitary", 7, "short_term"),
    ("TO7", "rapid", "treatable", "multiple", 8, "terminal_care"),
    ("TO8", "rapid", "untreatable", "multiple", 10, "terminal_care"),
    ("TO9 (small-bowel NET G2)", "slow", "untreatable", "multiple", 7, "short_term"),
]


@pytest.mark.parametrize(("ref", "primary", "visceral", "bone", "total", "band"), EXAMPLES)
def test_worked_example_gives_the_reference_total_and_band(
    ref: str, primary: str, visceral: str, bone: str, total: int, band: str
) -> None:
    """Reference 4.5 (TO1-TO9); points 4.1, bands 4.2."""
    r = compute_score("tomita", {"primary": primary, "visceral": visceral, "bone": bone})
    assert r.total == total, ref
    assert r.category is not None and r.category.id == band, ref


def test_minimum_is_2_and_maximum_is_10() -> None:
    """Reference 4.1: total 2-10."""
    decl = score_declaration("tomita")
    assert (decl.total_min, decl.total_max) == (2, 10)


@pytest.mark.parametrize(("item", "value"), [("primary", "fast"), ("bone", "none")])
def test_undeclared_value_is_rejected(item: str, value: str) -> None:
    values = {"primary": "slow", "visceral": "none", "bone": "solitary", item: value}
    with pytest.raises(BoneInputError) as exc:
        compute_score("tomita", values)
    assert exc.value.field == f"tomita.{item}"


def test_strategy_wording_is_flagged_unverified() -> None:
    """Reference 4.2 / 7.2: Tomita strategy wording is unverified."""
    for cat in score_declaration("tomita").categories:
        assert any(o.unverified for o in cat.outcomes)
