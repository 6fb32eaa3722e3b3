"""WHO grading beyond the worked examples: band edges, conventions, Ki-67 counting, bad input.

Thresholds: WHO 2019 digestive (PMID 31433515) as restated in nen-pathology.md section 2.1-2.2;
lung/thymus WHO 2021 (DOI 10.1038/s41379-019-0248-2), section 3.1; Ki-67 count of at least
500 cells (WHO 2019 footnote), section 2.2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from osteodx.nen import NenInputError, NenPathology, classify, ki67_index, thresholds_markdown

DOCS = Path(__file__).parents[2] / "docs" / "nen.md"


def _gep(**kw: object) -> str:
    return classify(NenPathology(site="pancreas", differentiation="well", **kw)).category  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ki67", "expected"),
    [
        (0, "NET G1"),
        (2.99, "NET G1"),
        (3, "NET G2"),
        (10, "NET G2"),
        (20, "NET G2"),
        (20.01, "NET G3"),
        (100, "NET G3"),
    ],
)
def test_ki67_bands_follow_who_2019(ki67: float, expected: str) -> None:
    """G1 < 3 %, G2 3-20 % inclusive, G3 > 20 % (nen-pathology.md 2.2, borderline values)."""
    assert _gep(ki67_percent=ki67) == expected


@pytest.mark.parametrize(
    ("mitoses", "expected"),
    [(0, "NET G1"), (1.9, "NET G1"), (2, "NET G2"), (20, "NET G2"), (20.4, "NET G3")],
)
def test_mitosis_bands_follow_who_2019(mitoses: float, expected: str) -> None:
    """G1 < 2, G2 2-20, G3 > 20 per 2 mm²; a fractional 20.4 (10 mm² count / 5) is > 20."""
    assert _gep(mitoses_per_2mm2=mitoses) == expected


def test_ki67_of_10_percent_is_g2() -> None:
    """Ki-67 10 % lies in the G2 band 3-20 % (nen-pathology.md 2.1)."""
    result = classify(NenPathology(site="ileum", differentiation="well", ki67_percent=10))
    assert result.category == "NET G2"
    assert result.rule_id == "gep_grade_single_measure"
    assert result.source.startswith("PMID:31433515")


def test_well_differentiated_ki67_over_20_is_net_g3_never_nec() -> None:
    """Differentiation comes first: Ki-67 60 % in a well-differentiated tumour is NET G3."""
    result = classify(NenPathology(site="pancreas", differentiation="well", ki67_percent=60))
    assert result.category == "NET G3" and result.family == "NET"


def test_numbers_alone_never_make_a_nec() -> None:
    """Without differentiation, a G3-range tumour is 'NET G3 or NEC', not NEC (section 7 note)."""
    result = classify(NenPathology(site="pancreas", ki67_percent=80, mitoses_per_2mm2=50))
    assert result.category_id == "high_grade_undetermined"
    assert result.family == "undetermined" and result.grade is None


def test_missing_differentiation_in_g2_range_is_a_net_with_a_warning() -> None:
    result = classify(NenPathology(site="ileum", ki67_percent=10))
    assert result.category == "NET G2"
    assert "differentiation_not_given" in {w.code for w in result.warnings}


def test_unknown_primary_is_graded_with_gep_thresholds_and_says_it_is_a_convention() -> None:
    """nen-pathology.md section 1: no WHO chapter grades an unknown primary; GEP by convention."""
    result = classify(NenPathology(site="unknown", differentiation="well", ki67_percent=25))
    assert result.category == "NET G3" and result.system == "gep"
    assert result.convention is not None and "convention" in result.convention
    assert result.convention_source is not None


def test_known_gep_site_has_no_convention_note() -> None:
    assert (
        classify(NenPathology(site="ileum", differentiation="well", ki67_percent=5)).convention
        is None
    )


def test_nec_of_unknown_primary_is_not_graded() -> None:
    result = classify(
        NenPathology(
            site="unknown", differentiation="poor", morphology="small_cell", ki67_percent=90
        )
    )
    assert result.category == "NEC, small cell type" and result.grade is None


def test_other_organ_system_is_not_graded_with_unverified_cut_offs() -> None:
    """nen-pathology.md section 1: non-GEP, non-thoracic cut-offs are unverified: no G grade."""
    result = classify(NenPathology(site="other:kidney", differentiation="well", ki67_percent=10))
    assert result.system == "other" and result.grade is None
    assert result.category_id == "net_ungraded"
    assert "gep_thresholds_orientation_only" in {w.code for w in result.warnings}


def test_biliary_sites_use_the_digestive_system_rules() -> None:
    """Digestive system incl. hepatobiliary organs is 'gep' (nen-pathology.md section 1)."""
    result = classify(
        NenPathology(site="other:gallbladder", differentiation="well", ki67_percent=1)
    )
    assert result.site == "gallbladder" and result.category == "NET G1"


def test_gep_thresholds_are_not_applied_to_a_known_lung_primary() -> None:
    """Section 8: a lung carcinoid is classified by mitoses/necrosis (cut-off 10), not Ki-67."""
    result = classify(NenPathology(site="lung", differentiation="well", ki67_percent=10))
    assert result.category_id == "carcinoid_tc_ac_undetermined"
    assert result.grade is None


def test_lung_with_carcinoma_mitoses_and_small_cells_is_sclc() -> None:
    result = classify(NenPathology(site="lung", morphology="small_cell", mitoses_per_2mm2=11))
    assert result.category == "SCLC"


def test_lung_carcinoid_with_more_than_10_mitoses_is_not_a_defined_who_entity() -> None:
    """Kasajima & Klöppel 2024: well-differentiated lung NET with NEC-range mitoses undefined."""
    result = classify(NenPathology(site="lung", differentiation="well", mitoses_per_2mm2=15))
    assert result.category_id == "carcinoid_high_mitoses"


def test_lung_typical_carcinoid_needs_necrosis_to_be_reported() -> None:
    result = classify(NenPathology(site="lung", differentiation="well", mitoses_per_2mm2=0))
    assert result.category_id == "carcinoid_tc_ac_undetermined"
    assert result.rule_id == "thoracic_necrosis_unknown"


def test_near_cutoff_ki67_recommends_a_manual_count() -> None:
    result = classify(NenPathology(site="ileum", differentiation="well", ki67_percent=2.5))
    assert "ki67_near_cutoff" in {w.code for w in result.warnings}


def test_marker_synonyms_confirm_ne_differentiation() -> None:
    result = classify(
        NenPathology(
            site="ileum",
            differentiation="well",
            ki67_percent=2,
            markers={"Syn": "+", "CgA": "weak"},
        )
    )
    assert result.ne_differentiation == "confirmed"
    assert "ne_markers_not_given" not in {w.code for w in result.warnings}


def test_ki67_index_from_counts() -> None:
    """50 of 500 cells = 10 % -> G2 band; 500 cells meets the WHO 2019 minimum."""
    k = ki67_index(50, 500)
    assert k.percent == pytest.approx(10.0)
    assert k.gep_grade == "G2" and k.enough_cells and not k.warnings


def test_ki67_index_warns_when_fewer_than_500_cells_were_counted() -> None:
    """WHO 2019: count at least 500 tumour cells in the hot spot (nen-pathology.md 2.2)."""
    k = ki67_index(14, 300)
    assert not k.enough_cells and k.minimum_cells == 500
    assert [w.code for w in k.warnings] == ["too_few_cells"]


@pytest.mark.parametrize(
    ("positive", "total", "field"),
    [(-1, 100, "positive"), (10, -5, "total"), (60, 50, "positive"), (0, 0, "total")],
)
def test_ki67_index_rejects_impossible_counts(positive: int, total: int, field: str) -> None:
    with pytest.raises(NenInputError) as err:
        ki67_index(positive, total)
    assert err.value.field == field and err.value.fix


@pytest.mark.parametrize("ki67", [-1, 100.5, 250])
def test_ki67_outside_0_to_100_is_rejected_naming_the_field(ki67: float) -> None:
    with pytest.raises(NenInputError) as err:
        NenPathology(site="ileum", ki67_percent=ki67)
    assert err.value.field == "ki67_percent"
    assert "0 and 100" in err.value.fix


def test_negative_mitoses_are_rejected() -> None:
    with pytest.raises(NenInputError) as err:
        NenPathology(site="ileum", mitoses_per_2mm2=-2)
    assert err.value.field == "mitoses_per_2mm2"


def test_unknown_site_is_rejected_with_the_accepted_sites() -> None:
    with pytest.raises(NenInputError) as err:
        NenPathology(site="spleen")
    assert err.value.field == "site"
    assert "small_intestine" in err.value.accepted and "unknown" in err.value.accepted


def test_bad_differentiation_names_the_accepted_values() -> None:
    with pytest.raises(NenInputError) as err:
        NenPathology(site="ileum", differentiation="moderate")  # type: ignore[arg-type]
    assert err.value.field == "differentiation"
    assert set(err.value.accepted) == {"well", "poor"}


def test_docs_show_the_thresholds_declared_in_the_data_file() -> None:
    """One declaration: docs/nen.md carries the table rendered from data/grading.yaml."""
    assert thresholds_markdown() in DOCS.read_text(encoding="utf-8")
