"""NEN conventions for the primary-tumour items (reference sections 3.4, 4.4, 5.4, 6.4, 7.1).

These are the toolkit's conventions, not published rules; the tests check that they are applied
as the reference states them and that the worked examples T6, TO9, K6 and B7 come out of them.
"""

from __future__ import annotations

import pytest

from osteodx.bone import BoneInputError, compute_score, nen_score_values


def values(*args: object, **kwargs: object) -> dict[tuple[str, str], str | None]:
    return {(v.score, v.item): v.value for v in nen_score_values(*args, **kwargs)}  # type: ignore[arg-type]


def test_small_bowel_net_g2_takes_the_reference_values() -> None:
    """3.4 NET -> carcinoid 5; 4.4 NET G1/G2 -> slow; 5.4 NET -> moderate; 6.4 not favourable."""
    assert values("NET", "G2", "small_intestine") == {
        ("tokuhashi", "primary"): "carcinoid",
        ("tomita", "primary"): "slow",
        ("katagiri", "primary"): "moderate",
        ("bauer", "primary"): "other",
        ("bauer", "lung_cancer"): "no",
    }


def test_lung_nec_takes_the_lung_rows() -> None:
    """3.4 lung NEC/SCLC -> lung 0; 4.4 NEC -> rapid; 5.4 NEC -> rapid; 6.4 SCLC = lung cancer."""
    assert values("NEC", None, "lung") == {
        ("tokuhashi", "primary"): "lung",
        ("tomita", "primary"): "rapid",
        ("katagiri", "primary"): "rapid",
        ("bauer", "primary"): "other",
        ("bauer", "lung_cancer"): "yes",
    }


def test_net_g3_is_moderate_growth_for_tomita() -> None:
    assert values("NET", "G3", "pancreas")[("tomita", "primary")] == "moderate"


def test_nec_of_unknown_primary_is_unidentified_for_tokuhashi() -> None:
    assert values("NEC", None, "unknown")[("tokuhashi", "primary")] == "unidentified"


def test_bronchial_carcinoid_is_lung_cancer_only_when_switched() -> None:
    """6.4: expose a switch, some users count any lung primary as lung cancer (B7)."""
    assert values("NET", "G2", "lung")[("bauer", "lung_cancer")] == "no"
    switched = values("NET", "G2", "lung", switches=["lung_net_is_lung_cancer"])
    assert switched[("bauer", "lung_cancer")] == "yes"


def test_missing_grade_or_site_is_reported_not_guessed() -> None:
    by_key = {(v.score, v.item): v for v in nen_score_values("NEC")}
    assert by_key[("tokuhashi", "primary")].value is None
    assert by_key[("tokuhashi", "primary")].needs == ("primary_site",)
    net = {(v.score, v.item): v for v in nen_score_values("NET")}
    assert net[("tomita", "primary")].needs == ("grade",)
    assert net[("tokuhashi", "primary")].value == "carcinoid"


def test_conventions_are_labelled_as_estimates() -> None:
    for v in nen_score_values("NET", "G2", "small_intestine"):
        assert v.convention and v.source == "docs/scores.md#nen-conventions"


def test_index_case_scores_follow_from_the_conventions() -> None:
    """T6, TO9, K6 of the reference use these conventions for a small-bowel NET G2."""
    v = values("NET", "G2", "small_intestine")
    t6 = compute_score(
        "tokuhashi",
        {
            "kps": 70,
            "extraspinal": 3,
            "vertebrae": 3,
            "visceral": "unremovable",
            "primary": v[("tokuhashi", "primary")],
            "frankel": "e",
        },
    )
    to9 = compute_score(
        "tomita",
        {"primary": v[("tomita", "primary")], "visceral": "untreatable", "bone": "multiple"},
    )
    k6 = compute_score(
        "katagiri",
        {
            "primary": v[("katagiri", "primary")],
            "visceral": "nodular",
            "lab": "normal",
            "ecog": 1,
            "chemo": "no",
            "bone": "multiple",
        },
    )
    assert (t6.total, to9.total, k6.total) == (8, 7, 4)


@pytest.mark.parametrize(
    ("args", "field"),
    [(("NETX",), "family"), (("NET", "G4"), "grade"), (("NET", "G2", "mars"), "primary_site")],
)
def test_bad_input_is_refused_with_the_field(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(BoneInputError) as exc:
        nen_score_values(*args)  # type: ignore[arg-type]
    assert exc.value.field == field
