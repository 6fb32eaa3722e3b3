"""New Katagiri score: every worked example of the reference, minimum, maximum, bad values.

Expected values: /work/shared/reference/bone-metastasis-scores.md section 5.5 (K1-K6, which
depend on the widely reproduced item table of 5.1; its tumour lists and laboratory cut-offs are
unverified, so the tests enter the categories, not raw tumours or lab values). Groups 0-3 /
4-6 / 7-10 from 5.2 (Katagiri 2014, DOI 10.1002/cam4.292). K6 uses the NET = 'others' convention.
"""

from __future__ import annotations

import pytest

from osteodx.bone import BoneInputError, compute_score, score_declaration

KEYS = ("primary", "visceral", "lab", "ecog", "chemo", "bone")
EXAMPLES = [
    ("K1", ("slow", "none", "normal", 1, "no", "solitary"), 0, "low"),
    ("K2", ("slow", "nodular", "abnormal", 2, "no", "multiple"), 3, "low"),
    ("K3", ("moderate", "none", "normal", 1, "yes", "multiple"), 4, "intermediate"),
    ("K4", ("rapid", "nodular", "abnormal", 2, "yes", "multiple"), 7, "high"),
    ("K5", ("rapid", "disseminated", "critical", 4, "yes", "multiple"), 10, "high"),
    (
        "K6 (small-bowel NET G2)",
        ("moderate", "nodular", "normal", 1, "no", "multiple"),
        4,
        "intermediate",
    ),
]


@pytest.mark.parametrize(("ref", "values", "total", "group"), EXAMPLES)
def test_worked_example_gives_the_reference_total_and_group(
    ref: str, values: tuple[object, ...], total: int, group: str
) -> None:
    """Reference 5.5 (K1-K6); groups 5.2 (Katagiri 2014 abstract: <= 3 low, >= 7 high)."""
    r = compute_score("katagiri", dict(zip(KEYS, values, strict=True)))
    assert r.total == total, ref
    assert r.category is not None and r.category.id == group, ref


def test_minimum_is_0_and_maximum_is_10() -> None:
    """Reference 5.1: 3 + 2 + 2 + 1 + 1 + 1, total 0-10; total 0 is reachable (5.2)."""
    decl = score_declaration("katagiri")
    assert (decl.total_min, decl.total_max) == (0, 10)
    assert decl.categories[0].min == 0


@pytest.mark.parametrize(("item", "value"), [("ecog", "5"), ("ecog", "-1"), ("lab", "high")])
def test_undeclared_or_out_of_range_value_is_rejected(item: str, value: str) -> None:
    values: dict[str, str | int] = dict(zip(KEYS, EXAMPLES[0][1], strict=True))
    values[item] = value
    with pytest.raises(BoneInputError) as exc:
        compute_score("katagiri", values)
    assert exc.value.field == f"katagiri.{item}"


def test_tumour_lists_and_lab_cut_offs_are_flagged_unverified() -> None:
    """Reference 5.1 / 7.2: tumour lists and laboratory cut-offs unverified."""
    items = {i.name: i for i in score_declaration("katagiri").items}
    assert items["primary"].unverified and items["lab"].unverified


def test_missing_lab_data_is_not_taken_as_normal() -> None:
    """Reference 5.1: a missing laboratory value is 'not assessed', never 'normal'."""
    values = dict(zip(KEYS, EXAMPLES[0][1], strict=True))
    del values["lab"]
    r = compute_score("katagiri", values)
    assert r.status == "cannot_compute" and r.missing == ("lab",)
    assert r.total_range == (0, 2)
