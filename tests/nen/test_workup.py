"""Imaging work-up by grade, circulating markers with confounders, and the combined work-up.

Imaging rule (nen-site-of-origin.md 4.3, PMC7141760): G1/G2 -> SSTR PET first; G3/NEC -> add
FDG PET. CgA false positives (Arch Med Sci 2016, DOI 10.5114/aoms.2016.57577; PPI washout,
Korse 2011, PMID 21989216), NSE and haemolysis (Labcorp), 5-HIAA bands and confounders
(nen-markers-and-treatment.md 1.1-1.3).
"""

from __future__ import annotations

import pytest

from osteodx.nen import (
    CirculatingResult,
    NenInputError,
    NenPathology,
    classify,
    imaging_workup,
    interpret_markers,
    nen_workup,
    pathology_from_mapping,
    site_posterior,
)


def _recs(category: str) -> dict[str, str]:
    return {r.id: r.recommendation for r in imaging_workup(category)}


def test_low_grade_net_gets_sstr_pet_and_no_fdg_pet() -> None:
    recs = _recs("G1")
    assert recs["sstr_pet"] == "recommended" and recs["fdg_pet"] == "not_recommended"


def test_net_g3_gets_dual_tracer_pet() -> None:
    recs = _recs("G3")
    assert recs["sstr_pet"] == "recommended" and recs["fdg_pet"] == "recommended"


def test_nec_gets_fdg_pet_and_sstr_pet_only_to_consider() -> None:
    c = classify(NenPathology(site="colon", differentiation="poor", morphology="small_cell"))
    recs = {r.id: r.recommendation for r in imaging_workup(c)}
    assert recs["fdg_pet"] == "recommended" and recs["sstr_pet"] == "consider"


def test_octreoscan_is_listed_as_inferior_to_sstr_pet() -> None:
    assert _recs("atypical_carcinoid")["octreoscan"] == "not_recommended"


def test_site_directed_tests_follow_the_site_posterior() -> None:
    """EUS when the pancreas reaches the declared threshold; enteroscopy for the small bowel."""
    c = classify(NenPathology(site="unknown", differentiation="well", ki67_percent=10))
    pancreas = site_posterior({"ISL1": "pos", "PDX1": "pos", "CDX2": "neg"})
    ids = {r.id for r in imaging_workup(c, site_posterior=pancreas)}
    assert "eus" in ids and "small_bowel_endoscopy" not in ids
    bowel = site_posterior({"CDX2": "pos", "ISL1": "neg"})
    ids = {r.id for r in imaging_workup(c, site_posterior=bowel)}
    assert "small_bowel_endoscopy" in ids and "eus" not in ids


def test_known_primary_gets_no_search_for_the_primary() -> None:
    c = classify(NenPathology(site="ileum", differentiation="well", ki67_percent=10))
    assert not {"eus", "small_bowel_endoscopy"} & {r.id for r in imaging_workup(c)}


def test_bone_metastases_add_the_skeletal_extent_item() -> None:
    c = classify(NenPathology(site="unknown", differentiation="well", ki67_percent=10))
    assert "bone_extent" in {r.id for r in imaging_workup(c, bone_metastases=True)}
    assert "bone_extent" not in {r.id for r in imaging_workup(c)}


def test_every_imaging_item_carries_sources() -> None:
    for r in imaging_workup("G3", bone_metastases=True):
        # a source, or our own declared estimate with what it rests on
        assert r.source or r.reason
        assert all(e.source for e in r.evidence)


def test_unknown_grade_for_imaging_is_rejected() -> None:
    with pytest.raises(NenInputError) as err:
        imaging_workup("G4")
    assert "G1" in err.value.accepted


def test_raised_cga_on_a_ppi_is_flagged_with_the_washout_advice() -> None:
    """PPIs are the main cause of false-positive CgA; a 2-week stop/switch lowered it (Korse)."""
    (cga,) = interpret_markers(
        [{"marker": "CgA", "value": 250, "upper_limit": 100}], ["omeprazole"]
    )
    assert cga.status == "raised" and cga.times_upper_limit == pytest.approx(2.5)
    assert [c.id for c in cga.confounders if c.relevant] == ["ppi"]
    assert cga.advice and "2 weeks" in cga.advice[0].text
    assert cga.advice[0].source.startswith("PMID:21989216")


@pytest.mark.parametrize(
    "factor", ["CKD", "renal_failure", "atrophic gastritis", "heart failure", "hyperparathyroidism"]
)
def test_cga_false_positive_causes_are_recognised(factor: str) -> None:
    (cga,) = interpret_markers(
        [CirculatingResult(marker="chromogranin A", elevated=True)], [factor]
    )
    assert any(c.relevant for c in cga.confounders)
    assert "possibly falsely raised" in cga.meaning


def test_a_raising_confounder_does_not_matter_for_a_normal_result() -> None:
    (cga,) = interpret_markers([{"marker": "cga", "value": 50, "upper_limit": 100}], ["ppi"])
    assert cga.status == "normal" and not any(c.relevant for c in cga.confounders)


def test_haemolysis_confounds_nse() -> None:
    (nse,) = interpret_markers(
        [{"marker": "NSE", "value": 30, "upper_limit": 17.6}], ["haemolysed"]
    )
    assert nse.status == "raised" and nse.confounders[0].id == "haemolysis"


@pytest.mark.parametrize(("value", "status"), [(6, "normal"), (15, "equivocal"), (30, "raised")])
def test_urinary_5hiaa_typical_bands_in_mg_per_24h(value: float, status: str) -> None:
    """Typical reference 2-8 mg/24 h, 9-25 equivocal, > 25 diagnostic (Clinical Advisor)."""
    (r,) = interpret_markers([{"marker": "5-HIAA", "value": value, "unit": "mg/24h"}])
    assert r.status == status


def test_5hiaa_dietary_and_drug_confounders() -> None:
    (r,) = interpret_markers(
        [{"marker": "u5hiaa", "elevated": True}], ["banana", "paracetamol", "aspirin"]
    )
    relevant = {c.id for c in r.confounders if c.relevant}
    assert relevant == {"serotonin_rich_food", "drug_raises_5hiaa"}
    (r,) = interpret_markers([{"marker": "5hiaa", "elevated": False}], ["aspirin"])
    assert {c.id for c in r.confounders if c.relevant} == {"drug_lowers_5hiaa"}


def test_marker_without_a_reference_range_is_unknown() -> None:
    (r,) = interpret_markers([{"marker": "NSE", "value": 30}])
    assert r.status == "unknown"


def test_normal_cga_in_a_nec_is_explained() -> None:
    nec = classify(NenPathology(site="unknown", differentiation="poor", morphology="small_cell"))
    (r,) = interpret_markers([{"marker": "CgA", "elevated": False}], classification=nec)
    assert "cga_normal_in_nec" in {w.code for w in r.warnings}


def test_unknown_confounder_and_marker_are_errors() -> None:
    with pytest.raises(NenInputError) as err:
        interpret_markers([{"marker": "CgA", "elevated": True}], ["pizza"])
    assert err.value.field == "factors[0]" and "ppi" in err.value.accepted
    with pytest.raises(NenInputError) as err:
        interpret_markers([{"marker": "calcitonin", "elevated": True}])
    assert err.value.field == "results[0].marker"


def test_founding_case_workup() -> None:
    """Index case: NET G2 by convention, TX M1b-equivalent stage IV, site posterior, CDX2 next,
    SSTR PET/CT recommended, raised NSE explained."""
    w = nen_workup(
        NenPathology(
            site="unknown",
            differentiation="well",
            ki67_percent=10,
            markers={"synaptophysin": "pos", "chromogranin A": "pos"},
        ),
        metastases=["bone", "lymph_nodes"],
        circulating=[{"marker": "NSE", "elevated": True}],
    )
    assert w.classification.category == "NET G2" and w.classification.convention
    assert w.staging is not None and w.staging.m == "M1b" and w.staging.stage == "IV"
    assert w.site_posterior is not None and w.site_posterior.top(2) == (
        "small_intestine",
        "pancreas",
    )
    assert w.recommended_markers[0].marker == "cdx2"
    imaging = {r.id: r.recommendation for r in w.imaging}
    assert imaging["sstr_pet"] == "recommended" and imaging["bone_extent"] == "recommended"
    assert w.circulating[0].status == "raised"
    assert "not a medical device" in w.disclaimer


def test_workup_with_a_known_primary_has_no_site_posterior() -> None:
    w = nen_workup(NenPathology(site="lung", differentiation="well", mitoses_per_2mm2=3))
    assert w.site_posterior is None and w.recommended_markers == ()


def test_pathology_from_a_case_form_section() -> None:
    p = pathology_from_mapping(
        {
            "site": "Unknown",
            "differentiation": "well differentiated",
            "ki67": 10,
            "ihc": {"Synaptophysin": "positive", "CgA": "+"},
        }
    )
    assert p.site == "unknown" and p.differentiation == "well" and p.ki67_percent == 10
    assert p.markers == (("chromogranin_a", "pos"), ("synaptophysin", "pos"))


def test_pathology_from_mapping_names_the_offending_key() -> None:
    with pytest.raises(NenInputError) as err:
        pathology_from_mapping({"ki67": 140})
    assert err.value.field == "pathology.ki67_percent"
    with pytest.raises(NenInputError) as err:
        pathology_from_mapping({"grade_please": "G2"})
    assert err.value.field == "pathology.grade_please"
    with pytest.raises(NenInputError) as err:
        pathology_from_mapping({"ihc": {"TTF9": "neg"}})
    assert err.value.field == "pathology.markers.TTF9"


def test_pathology_from_mapping_can_keep_unknown_markers_aside() -> None:
    p = pathology_from_mapping({"ihc": {"TTF9": "neg", "TTF-1": "neg"}}, strict=False)
    assert p.unrecognised_markers == ("TTF9",) and p.markers == (("ttf1", "neg"),)


def test_components_adding_up_to_more_than_100_percent_are_rejected() -> None:
    with pytest.raises(NenInputError) as err:
        pathology_from_mapping(
            {
                "components": [
                    {"kind": "neuroendocrine", "percent": 70},
                    {"kind": "non_neuroendocrine", "percent": 60},
                ]
            }
        )
    assert err.value.field.startswith("pathology.components")


def test_a_ki67_index_written_as_a_stain_result_points_to_the_ki67_field() -> None:
    with pytest.raises(NenInputError) as err:
        pathology_from_mapping({"ihc": {"Ki-67": "20%"}})
    assert err.value.field == "pathology.markers.Ki-67"
    assert "ki67" in err.value.fix


def test_beta_catenin_without_a_pattern_is_not_recorded_as_nuclear() -> None:
    p = pathology_from_mapping({"ihc": {"beta-catenin": "pos", "nuclear beta-catenin": "neg"}})
    assert dict(p.markers) == {"beta_catenin": "pos", "beta_catenin_nuclear": "neg"}


@pytest.mark.parametrize(
    ("written", "marker"),
    [
        ("β-catenin", "beta_catenin"),
        ("β-catenin (nuclear)", "beta_catenin_nuclear"),
        ("ΔNp63", "p40"),
        ("CK5", "ck5"),
    ],
)
def test_marker_names_with_greek_letters_or_short_forms_are_known(
    written: str, marker: str
) -> None:
    p = pathology_from_mapping({"ihc": {written: "neg"}})
    assert dict(p.markers) == {marker: "neg"}


def test_a_different_greek_letter_is_not_taken_for_beta() -> None:
    p = pathology_from_mapping({"ihc": {"α-catenin": "neg"}}, strict=False)
    assert p.unrecognised_markers == ("α-catenin",)
