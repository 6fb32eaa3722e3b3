"""Treatment options for a NEN with bone metastases: eligibility, reasons, needs, sources.

Trial populations and rules: /work/shared/reference/nen-markers-and-treatment.md section 3
(PROMID PMID 19704057; CLARINET Ki-67 < 10 % and SRS grade >= 2; NETTER-1 midgut, progressive;
NETTER-2 Ki-67 10-55 %, first line, DOI 10.1016/S0140-6736(24)00701-3; RADIANT-3/4; sunitinib
pancreas only; CABINET previously treated; E2211 no prior alkylator; platinum-etoposide for NEC;
Krenning >= 3 eligible, 2 borderline, <= 1 not eligible (3.2); bone-directed therapy 3.5).
"""

from __future__ import annotations

from typing import Any

import pytest

from osteodx.bone import (
    BoneInputError,
    TreatmentContext,
    context_fields,
    treatment_context_from_assignments,
    treatment_context_from_mapping,
    treatment_options,
)

FIT = {
    "egfr_ml_min": 90,
    "platelets_10e9_l": 250,
    "leukocytes_10e9_l": 6,
    "haemoglobin_g_dl": 13,
    "calcium": "normal",
}
# The founding case: WD-NET G2, Ki-67 10 %, unknown primary, bone metastases.
INDEX = {
    "family": "NET",
    "grade": "G2",
    "ki67_percent": 10,
    "primary_site": "unknown",
    "bone_metastases": True,
}


def opts(**fields: Any) -> Any:
    return treatment_options(TreatmentContext(**fields))


def test_output_lists_options_to_discuss_and_never_prescribes() -> None:
    result = opts(**INDEX)
    assert result.prescribes is False
    assert "not a prescription" in result.disclaimer and "not a medical device" in result.disclaimer
    assert [o.id for o in result.options] == [
        "ssa",
        "prrt",
        "everolimus",
        "sunitinib",
        "cabozantinib",
        "captem",
        "platinum_etoposide",
        "antiresorptive",
        "radiotherapy",
        "surgery",
        "analgesia",
    ]


def test_an_empty_context_makes_nothing_eligible() -> None:
    """Nothing recorded is never read as 'normal': every option is unknown."""
    result = opts()
    assert {o.status for o in result.options} == {"unknown"}
    assert all(o.needs for o in result.options)


def test_nec_is_offered_platinum_etoposide_and_not_net_therapies() -> None:
    """Reference 3.3 (ENETS high-grade 2016, DOI 10.1159/000443172)."""
    result = opts(family="NEC", bone_metastases=True)
    assert result.option("platinum_etoposide").status == "eligible"
    for oid in ("ssa", "prrt", "everolimus", "sunitinib", "cabozantinib"):
        opt = result.option(oid)
        assert opt.status == "not_eligible", oid
        assert any(r.field == "family" for r in opt.because), oid


def test_index_case_is_outside_clarinet_because_ki67_is_not_below_10() -> None:
    """CLARINET required Ki-67 < 10 %; the founding case has 10 %."""
    ssa = opts(**INDEX).option("ssa")
    clarinet = next(i for i in ssa.indications if i.id == "clarinet")
    assert clarinet.status == "not_eligible"
    assert [r.id for r in clarinet.because] == ["ki67_lt_10"]


def test_index_case_ssa_is_unknown_until_the_primary_is_found() -> None:
    """PROMID enrolled midgut NETs: an unknown primary cannot be judged."""
    ssa = opts(**INDEX).option("ssa")
    assert ssa.status == "unknown" and ssa.needs == ("primary_site",)


def test_index_case_meets_the_netter2_ki67_window() -> None:
    """NETTER-2: Ki-67 >= 10 % and <= 55 %."""
    prrt = opts(**INDEX, **FIT, sstr_krenning=3).option("prrt")
    netter2 = next(i for i in prrt.indications if i.id == "netter2")
    met = {r.id for r in netter2.criteria if r.status == "met"}
    assert {"ki67_ge_10", "ki67_le_55", "sstr_uptake", "net"} <= met
    assert netter2.status == "unknown"
    assert set(netter2.needs) == {"primary_site", "newly_diagnosed"}


def test_progressive_midgut_net_with_good_uptake_is_eligible_for_prrt_and_ssa() -> None:
    result = opts(
        family="NET",
        grade="G1",
        ki67_percent=2,
        primary_site="small_intestine",
        sstr_krenning=4,
        progression=True,
        functioning=False,
        **FIT,
    )
    prrt = result.option("prrt")
    assert prrt.status == "eligible"
    assert next(i for i in prrt.indications if i.id == "netter1").status == "eligible"
    assert prrt.cautions == ()
    assert result.option("ssa").status == "eligible"


@pytest.mark.parametrize(
    ("krenning", "status", "borderline"),
    [
        (4, "eligible", False),
        (3, "eligible", False),
        (2, "eligible", True),
        (1, "not_eligible", False),
        (0, "not_eligible", False),
    ],
)
def test_krenning_score_decides_prrt_uptake(krenning: int, status: str, borderline: bool) -> None:
    """Reference 3.2: >= 3 eligible, 2 borderline (trial-eligible), <= 1 not eligible."""
    prrt = opts(
        family="NET",
        grade="G2",
        primary_site="small_intestine",
        progression=True,
        sstr_krenning=krenning,
        **FIT,
    ).option("prrt")
    assert prrt.status == status
    assert any(r.id == "sstr_strong" for r in prrt.cautions) is borderline


def test_prrt_renal_and_marrow_thresholds_are_cautions_from_one_trial() -> None:
    """LUTIA thresholds (GFR >= 50, platelets >= 100) are examples, not exclusions (3.2)."""
    prrt = opts(
        family="NET",
        grade="G2",
        primary_site="small_intestine",
        progression=True,
        sstr_krenning=3,
        **{**FIT, "egfr_ml_min": 40, "platelets_10e9_l": 80},
    ).option("prrt")
    assert prrt.status == "eligible"
    assert {r.id for r in prrt.cautions} == {"renal", "platelets"}


def test_prrt_without_blood_counts_is_unknown_and_names_them() -> None:
    prrt = opts(
        family="NET", grade="G2", primary_site="small_intestine", progression=True, sstr_krenning=3
    ).option("prrt")
    assert prrt.status == "unknown"
    assert {"egfr_ml_min", "platelets_10e9_l", "leukocytes_10e9_l", "haemoglobin_g_dl"} <= set(
        prrt.needs
    )


def test_progressive_pancreatic_net_gets_everolimus_and_sunitinib() -> None:
    """RADIANT-3 and Raymond 2011: progressive pancreatic NET."""
    result = opts(family="NET", grade="G2", primary_site="pancreas", progression=True)
    assert result.option("everolimus").status == "eligible"
    assert result.option("sunitinib").status == "eligible"


def test_sunitinib_is_for_pancreatic_primaries_only() -> None:
    """Reference 3.1 note: sunitinib - pancreas only."""
    sunitinib = opts(family="NET", grade="G2", primary_site="small_intestine", progression=True)
    assert sunitinib.option("sunitinib").status == "not_eligible"


def test_everolimus_in_gi_net_needs_a_non_functional_tumour() -> None:
    """RADIANT-4: non-functional lung or GI NET."""
    base = {"family": "NET", "grade": "G2", "primary_site": "small_intestine", "progression": True}
    assert opts(**base, functioning=False).option("everolimus").status == "eligible"
    assert opts(**base, functioning=True).option("everolimus").status == "not_eligible"


def test_cabozantinib_needs_a_previous_systemic_therapy_other_than_ssa() -> None:
    """CABINET: >= 1 prior approved systemic therapy other than an SSA."""
    base = {"family": "NET", "grade": "G2", "primary_site": "small_intestine", "progression": True}
    assert opts(**base).option("cabozantinib").needs == ("prior_therapies",)
    assert opts(**base, prior_therapies=("ssa",)).option("cabozantinib").status == "not_eligible"
    after = opts(**base, prior_therapies=("ssa", "everolimus")).option("cabozantinib")
    assert after.status == "eligible"
    assert [i.status for i in after.indications] == ["not_eligible", "eligible"]


def test_captem_e2211_excludes_previous_temozolomide() -> None:
    """E2211: no prior temozolomide, dacarbazine, capecitabine or 5-FU."""
    base = {"family": "NET", "grade": "G2", "primary_site": "pancreas", "progression": True}
    assert opts(**base, prior_therapies=()).option("captem").status == "eligible"
    again = opts(**base, prior_therapies=("temozolomide",)).option("captem")
    assert again.status == "not_eligible"


def test_aggressive_net_g3_is_offered_platinum_etoposide() -> None:
    """Reference 3.3: platinum-etoposide reserved for aggressive NET G3, e.g. Ki-67 >= 55 %."""
    assert opts(family="NET", grade="G3", ki67_percent=60).option("platinum_etoposide").status == (
        "eligible"
    )
    assert opts(family="NET", grade="G3", ki67_percent=30).option("platinum_etoposide").status == (
        "not_eligible"
    )


def test_antiresorptive_checks_calcium_renal_function_and_teeth() -> None:
    """Reference 3.5 practical rule: check renal function, calcium, vitamin D, dental status."""
    missing = opts(bone_metastases=True).option("antiresorptive")
    assert missing.status == "unknown" and set(missing.needs) == {"calcium", "egfr_ml_min"}
    fit = opts(bone_metastases=True, calcium="normal", egfr_ml_min=80).option("antiresorptive")
    assert fit.status == "eligible" and [r.id for r in fit.checks] == ["dental"]
    frail = opts(bone_metastases=True, calcium="low", egfr_ml_min=25, dental_check_done=True)
    option = frail.option("antiresorptive")
    assert option.status == "eligible"
    assert {r.id for r in option.cautions} == {"calcium", "renal"}
    assert option.checks == ()


def test_antiresorptive_evidence_is_labelled_retrospective_and_extrapolated() -> None:
    option = opts(bone_metastases=True).option("antiresorptive")
    assert any("extrapolated" in g.text for g in option.guideline)
    assert option.key_trials[0].design.startswith("Retrospective")


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"mirels_total": 9}, "eligible"),
        ({"mirels_total": 8}, "eligible"),
        ({"sins_total": 7}, "eligible"),
        ({"spinal_cord_compression": True}, "eligible"),
        ({"mirels_total": 7, "sins_total": 6, "spinal_cord_compression": False}, "not_eligible"),
        ({"mirels_total": 7}, "unknown"),
    ],
)
def test_surgery_is_driven_by_mirels_sins_and_cord_compression(
    fields: dict[str, Any], status: str
) -> None:
    """Mirels >= 9 fixation (8 judgement), SINS >= 7 surgical consultation (reference 1.2, 2.2)."""
    assert opts(bone_metastases=True, **fields).option("surgery").status == status


def test_mirels_8_is_flagged_as_the_judgement_band() -> None:
    surgery = opts(bone_metastases=True, mirels_total=8).option("surgery")
    assert [r.id for r in surgery.cautions] == ["mirels_ge_9"]


def test_radiotherapy_and_analgesia_follow_bone_pain() -> None:
    painful = opts(bone_metastases=True, bone_pain=True)
    assert painful.option("radiotherapy").status == "eligible"
    assert painful.option("analgesia").status == "eligible"
    calm = opts(bone_metastases=True, bone_pain=False, spinal_cord_compression=False)
    assert calm.option("radiotherapy").status == "not_eligible"
    assert calm.option("analgesia").status == "not_eligible"


def test_every_option_carries_a_guideline_source_and_resolved_trials() -> None:
    for option in opts(**INDEX).options:
        assert option.guideline, option.id
        for trial in option.key_trials:
            assert trial.result and trial.source


def test_an_unknown_primary_site_is_refused_naming_the_field() -> None:
    with pytest.raises(BoneInputError) as exc:
        treatment_context_from_mapping({"primary_site": "mars"})
    assert exc.value.field == "primary_site"
    assert "small_intestine" in exc.value.accepted


def test_text_values_are_parsed_into_the_context() -> None:
    ctx = treatment_context_from_mapping(
        {
            "family": "NET",
            "ki67_percent": "10",
            "bone_metastases": "yes",
            "prior_therapies": "ssa, everolimus",
            "progression": "no",
            "grade": "",
        }
    )
    assert ctx.ki67_percent == 10 and ctx.bone_metastases is True and ctx.progression is False
    assert ctx.prior_therapies == ("ssa", "everolimus") and ctx.grade is None
    assert treatment_context_from_mapping({"prior_therapies": "none"}).prior_therapies == ()


@pytest.mark.parametrize(
    ("words", "field"),
    [
        (["ki67_percent=150"], "ki67_percent"),
        (["family=carcinoid"], "family"),
        (["sstr_krenning=5"], "sstr_krenning"),
        (["prior_therapies=ssa,aspirin"], "prior_therapies"),
        (["colour=blue"], "colour"),
        (["family"], "treatments"),
    ],
)
def test_bad_context_input_names_the_field_and_the_accepted_values(
    words: list[str], field: str
) -> None:
    with pytest.raises(BoneInputError) as exc:
        treatment_context_from_assignments(words)
    assert exc.value.field == field
    assert exc.value.fix


def test_context_fields_list_accepted_values_for_forms() -> None:
    fields = {f.name: f for f in context_fields()}
    assert fields["family"].accepted == ("NET", "NEC")
    assert fields["calcium"].accepted == ("low", "normal", "high")
    assert fields["bone_pain"].accepted == ("yes", "no")
    assert "unknown" in fields["primary_site"].accepted
    assert fields["sstr_krenning"].accepted == ("a whole number from 0 to 4",)


def test_a_failed_requirement_says_what_is_required_and_what_was_recorded() -> None:
    from osteodx.bone import TreatmentContext, treatment_options
    from osteodx.bone._render import requirement_line

    options = treatment_options(
        TreatmentContext(family="NET", grade="G2", ki67_percent=10, sstr_krenning=3)
    )
    because = [r for o in options.options for i in o.indications for r in i.because]
    ki67 = next(r for r in because if r.field == "ki67_percent")
    line = requirement_line(ki67)
    assert line.startswith("requires Ki-67 < 10")
    assert "recorded: Ki-67 index in % 10" in line and "ki67_percent" not in line
