"""Site-of-origin posterior: synonyms, Beta posteriors with their n, contributions, clues, EIG.

Frequencies are the counts of nen-site-of-origin.md section 1 (e.g. CDX2 in appendiceal NETs
11/11 [LIN]; in jejunoileal NETs 12/14 [LIN] and 32/35 [KOO]); the prior is our estimate from
section 3 (small intestine > pancreas > others for well-differentiated NETs).
"""

from __future__ import annotations

import math

import pytest

from osteodx.nen import MarkerResult, NenInputError, recommend_markers, site_posterior
from osteodx.nen._site import (
    SiteProbability,
    marker_frequency_table,
    sub_origin_frequency_table,
    sub_origin_shares,
)


def _freq(marker: str, site: str) -> tuple[float, tuple[float, float], bool, int]:
    for m, s, mean, interval, imputed, studies in marker_frequency_table():
        if (m, s) == (marker, site):
            return mean, interval, imputed, len(studies)
    raise AssertionError((marker, site))


def test_sites_are_the_ten_issue_ids_and_probabilities_sum_to_one() -> None:
    post = site_posterior({"CDX2": "pos"})
    assert {s.site for s in post.sites} == {
        "small_intestine", "appendix", "colon", "rectum", "stomach",
        "duodenum", "pancreas", "lung", "thymus", "other",
    }  # fmt: skip
    assert sum(s.probability for s in post.sites) == pytest.approx(1.0)
    probs = [s.probability for s in post.sites]
    assert probs == sorted(probs, reverse=True)


@pytest.mark.parametrize(
    "name", ["TTF1", "TTF-1", "ttf 1", "NKX2-1", "NKX2.1", "thyroid transcription factor 1"]
)
def test_ttf1_synonyms_give_the_same_posterior(name: str) -> None:
    ref = site_posterior({"ttf1": "pos", "cdx2": "neg"})
    post = site_posterior({name: "pos", "CDX-2": "negative"})
    assert [(s.site, s.probability) for s in post.sites] == [
        (s.site, s.probability) for s in ref.sites
    ]


def test_a_single_study_cell_is_beta_one_plus_k_one_plus_n_minus_k() -> None:
    """CDX2 appendix 11/11 [LIN] -> Beta(12, 1): mean 12/13."""
    mean, (lo, hi), imputed, n_studies = _freq("cdx2", "appendix")
    assert mean == pytest.approx(12 / 13)
    assert n_studies == 1 and not imputed
    assert lo < mean < hi <= 1


def test_studies_are_mixed_with_equal_weight_not_pooled() -> None:
    """CDX2 jejunoileal: LIN 12/14, KOO 32/35 and YANG 24/27 -> mean of the three Beta means."""
    mean, _, _, n_studies = _freq("cdx2", "small_intestine")
    assert n_studies == 3
    assert mean == pytest.approx((13 / 16 + 33 / 37 + 25 / 29) / 3)


def _studies(marker: str, site: str) -> set[tuple[str, int, int]]:
    for m, s, _mean, _interval, _imputed, studies in marker_frequency_table():
        if (m, s) == (marker, site):
            return {(x.study, x.k, x.n) for x in studies}
    raise AssertionError((marker, site))


def test_yang_percentages_are_rebuilt_counts_marked_as_estimates() -> None:
    """YANG reports 89 % CDX2 (SI), 63 % TTF-1 (lung), 77 % ISL1 (pancreas) in 85 metastases."""
    assert ("YANG", 24, 27) in _studies("cdx2", "small_intestine")
    assert ("YANG", 5, 8) in _studies("ttf1", "lung")
    assert ("YANG", 23, 30) in _studies("isl1", "pancreas")
    for m, _s, _mean, _interval, _imputed, studies in marker_frequency_table():
        for x in studies:
            if x.study == "YANG":
                assert x.estimate and x.basis, m


def test_a_uniform_group_count_is_used_for_every_site_it_covers() -> None:
    """'TTF-1 only in bronchopulmonary NETs' (CHAN, 0/26 GI) holds for the rectum too, and
    SATB2-H's 0/87 non-rectal, non-appendiceal NETs include stomach, duodenum and pancreas."""
    assert ("CHAN", 0, 26) in _studies("ttf1", "rectum")
    assert ("CHAN", 0, 26) in _studies("ttf1", "small_intestine")
    for site in ("stomach", "duodenum", "pancreas", "small_intestine"):
        assert ("SATB2-H", 0, 87) in _studies("satb2", site)
    # KOO's 0/2 alone gave rectal TTF-1 a mean of 1/4; the group count pulls it towards 0
    mean, _, _, _ = _freq("ttf1", "rectum")
    assert mean < 0.15


def test_a_mixed_group_count_is_used_only_where_a_site_has_no_count() -> None:
    """CDX2 22/26 in GI NETs overall (CHAN) stands in for the duodenum only."""
    assert ("CHAN", 22, 26) in _studies("cdx2", "duodenum")
    for site in ("small_intestine", "appendix", "colon", "rectum", "stomach"):
        assert not any(s == "CHAN" for s, _, _ in _studies("cdx2", site))


def test_lung_cdx2_counts_the_carcinoids_not_the_small_cell_carcinomas() -> None:
    """LIN's 60 pulmonary tumours were 30 carcinoids and 30 SCLC; the NET model uses 0/30."""
    assert ("LIN", 0, 30) in _studies("cdx2", "lung")


def test_small_n_gives_a_wider_interval_than_large_n() -> None:
    """ISL1 rectum 2/2 [KOO] vs ISL1 small intestine 0/35 [KOO]: small n is visibly uncertain."""
    _, (lo_small, hi_small), _, _ = _freq("isl1", "rectum")
    _, (lo_large, hi_large), _, _ = _freq("isl1", "small_intestine")
    assert (hi_small - lo_small) > 3 * (hi_large - lo_large)


def test_cells_without_data_are_imputed_and_flagged() -> None:
    """ISL1 has no appendiceal count in the reference: imputed, flagged, wide."""
    _mean, (lo, hi), imputed, n_studies = _freq("isl1", "appendix")
    assert imputed and n_studies == 0
    assert hi - lo > 0.5


def test_contributions_add_up_to_the_posterior_exactly() -> None:
    """log10 posterior odds of two sites = log10 prior odds + difference of summed contributions."""
    post = site_posterior(
        {"CDX2": "pos", "ISL1": "neg", "SATB2": "neg", "TTF1": "focal"},
        {"carcinoid_syndrome": "yes"},
    )
    a, b = post.sites[0], post.sites[3]
    lhs = math.log10(a.probability / b.probability)
    rhs = (
        math.log10(a.prior / b.prior)
        + sum(c.log10_lr for c in a.contributions)
        - sum(c.log10_lr for c in b.contributions)
    )
    assert lhs == pytest.approx(rhs, abs=1e-9)
    assert a.log10_lr_total == pytest.approx(sum(c.log10_lr for c in a.contributions))


def test_each_contribution_reports_mean_interval_and_studies() -> None:
    post = site_posterior({"CDX2": "pos"})
    si = next(s for s in post.sites if s.site == "small_intestine")
    c = si.contributions[0]
    assert c.evidence == "cdx2" and c.result == "pos"
    assert c.frequency_interval[0] < c.frequency < c.frequency_interval[1]
    assert c.log10_lr_interval[0] <= c.log10_lr <= c.log10_lr_interval[1]
    assert {s.study for s in c.studies} == {"LIN", "KOO", "YANG"}
    assert all(s.n > 0 and s.source for s in c.studies)


def test_probability_interval_brackets_the_point_estimate() -> None:
    post = site_posterior({"CDX2": "pos", "TTF1": "neg"})
    for s in post.sites:
        lo, hi = s.probability_interval
        assert lo <= s.probability + 0.02 and s.probability - 0.02 <= hi


def test_cdx2_positive_ttf1_negative_points_to_the_small_intestine() -> None:
    """Rule of thumb (section 1.2): CDX2 + -> jejunoileal NET."""
    assert site_posterior({"CDX2": "pos", "TTF1": "neg"}).top(1) == ("small_intestine",)


def test_ttf1_and_otp_positive_point_to_the_lung() -> None:
    """Section 1.2: TTF-1 + and/or OTP +, CDX2 - -> lung carcinoid."""
    post = site_posterior({"TTF1": "pos", "OTP": "pos", "CDX2": "neg"})
    assert post.top(1) == ("lung",) and post.sites[0].probability > 0.8


def test_isl1_pdx1_positive_cdx2_satb2_negative_points_to_the_pancreas() -> None:
    """Section 1.2: ISL1 +, PDX1 +, CDX2 -, SATB2 - -> pancreas."""
    post = site_posterior({"ISL1": "pos", "PDX1": "pos", "CDX2": "neg", "SATB2": "neg"})
    assert post.top(1) == ("pancreas",)


def test_focal_counts_less_than_positive_and_not_done_counts_nothing() -> None:
    prior = site_posterior({}).probability("lung")
    pos = site_posterior({"TTF1": "pos"}).probability("lung")
    focal = site_posterior({"TTF1": "focal"}).probability("lung")
    not_done = site_posterior({"TTF1": "not done"}).probability("lung")
    assert pos > focal > prior
    assert not_done == pytest.approx(prior)


def test_percent_of_cells_is_read_against_the_study_cut_offs() -> None:
    """>= 10 % of cells is positive at full weight, 5-10 % focal, < 5 % negative."""
    pos = site_posterior({"TTF1": "pos"}).probability("lung")
    focal = site_posterior({"TTF1": "focal"}).probability("lung")
    neg = site_posterior({"TTF1": "neg"}).probability("lung")
    as_read = {
        pct: site_posterior({"TTF1": MarkerResult(result=res, percent_cells=pct)})
        for res, pct in (("focal", 40.0), ("pos", 7.0), ("pos", 2.0))
    }
    assert as_read[40.0].probability("lung") == pytest.approx(pos)
    assert as_read[7.0].probability("lung") == pytest.approx(focal)
    assert as_read[2.0].probability("lung") == pytest.approx(neg)
    item = as_read[2.0].evidence[0]
    assert item.result == "neg" and item.reason and "cut-off" in item.reason


def test_a_positive_result_with_no_stained_cells_is_an_error() -> None:
    with pytest.raises(NenInputError) as err:
        site_posterior({"CDX2": MarkerResult(result="pos", percent_cells=0)})
    assert err.value.field == "markers.CDX2"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("weakly positive", "focal"),
        ("positive (focal)", "focal"),
        ("focally +", "focal"),
        ("diffusely positive", "pos"),
        ("strong positive", "pos"),
        ("+", "pos"),
        ("negative", "neg"),
    ],
)
def test_qualified_results_in_report_wording_are_read(text: str, status: str) -> None:
    post = site_posterior({"CDX-2": text})
    assert post.evidence[0].result == status


def test_ne_markers_are_recorded_but_not_scored() -> None:
    post = site_posterior({"synaptophysin": "pos", "chromogranin A": "pos"})
    assert {e.used for e in post.evidence} == {"not_site_informative"}
    assert "prior_only" in {w.code for w in post.warnings}
    assert post.sites[0].probability == pytest.approx(post.sites[0].prior)


@pytest.mark.parametrize("name", ["S100", "thyroglobulin", "CD20", "napsin A", "p40", "MIB-1"])
def test_lineage_markers_are_accepted_recorded_and_never_scored(name: str) -> None:
    alone = site_posterior({"TTF-1": "pos"})
    both = site_posterior({"TTF-1": "pos", name: "neg"})
    (extra,) = [e for e in both.evidence if e.name == name]
    assert extra.used == "not_site_informative" and extra.reason
    assert [(s.site, s.probability) for s in both.sites] == [
        (s.site, s.probability) for s in alone.sites
    ]


def test_overlapping_markers_are_down_weighted() -> None:
    """OTP after TTF-1 (all TTF-1+ carcinoids were OTP+) counts at the declared reduced weight."""
    post = site_posterior({"TTF1": "pos", "OTP": "pos"})
    weights = {e.id: e.weight for e in post.evidence}
    assert weights["ttf1"] == 1.0 and weights["otp"] < 1.0


def test_pax8_monoclonal_clone_is_scored_separately() -> None:
    post = site_posterior({"PAX8": MarkerResult(result="pos", clone="BC12")})
    assert post.evidence[0].id == "pax8_monoclonal"
    assert "pax8_monoclonal_positive" in {w.code for w in post.warnings}


def test_carcinoid_syndrome_favours_the_small_intestine() -> None:
    base = site_posterior({"CDX2": "neg"}).probability("small_intestine")
    with_syndrome = site_posterior({"CDX2": "neg"}, {"carcinoid_syndrome": "yes"}).probability(
        "small_intestine"
    )
    assert with_syndrome > base


def test_imaging_clue_localises_the_primary() -> None:
    post = site_posterior({}, {"imaging": "pancreas"})
    assert post.top(1) == ("pancreas",)


def test_sex_is_accepted_and_contributes_nothing() -> None:
    a = site_posterior({"CDX2": "pos"})
    b = site_posterior({"CDX2": "pos"}, {"sex": "male"})
    assert a.probability("small_intestine") == pytest.approx(b.probability("small_intestine"))
    assert any(e.used == "neutral_clue" for e in b.evidence)


def test_poor_differentiation_uses_the_nec_prior_and_warns() -> None:
    post = site_posterior({}, differentiation="poor")
    assert post.prior_name == "poor" and post.top(1) == ("lung",)
    assert "nec_markers_less_specific" in {w.code for w in post.warnings}


def test_unknown_marker_is_an_error_listing_the_accepted_markers() -> None:
    with pytest.raises(NenInputError) as err:
        site_posterior({"TTF9": "pos"})
    assert err.value.field == "markers.TTF9"
    assert "ttf1" in err.value.accepted and "cdx2" in err.value.accepted


def test_the_same_marker_twice_with_different_results_is_an_error() -> None:
    with pytest.raises(NenInputError):
        site_posterior({"TTF-1": "pos", "NKX2-1": "neg"})


def test_bad_result_and_unknown_clue_are_errors() -> None:
    with pytest.raises(NenInputError) as err:
        site_posterior({"CDX2": "maybe"})
    assert set(err.value.accepted) == {"pos", "neg", "focal", "not_done"}
    with pytest.raises(NenInputError) as err:
        site_posterior({}, {"flushing_score": "3"})
    assert "carcinoid_syndrome" in err.value.accepted
    with pytest.raises(NenInputError):
        site_posterior({}, {"imaging": "spleen"})


def test_founding_case_panel_recommends_cdx2_first() -> None:
    """Synaptophysin+ and CgA+ are not site-informative; CDX2 best splits small bowel/pancreas."""
    recs = recommend_markers({"synaptophysin": "pos", "CgA": "pos"})
    assert recs[0].marker == "cdx2"
    assert recs[0].if_positive[0] == "small_intestine"
    assert all(r.expected_information_gain_bits >= 0 for r in recs)
    gains = [r.expected_information_gain_bits for r in recs]
    assert gains == sorted(gains, reverse=True)


def test_recommendations_skip_markers_already_done() -> None:
    recs = recommend_markers({"CDX2": "pos", "TTF-1": "neg"}, top=20)
    names = {r.marker for r in recs}
    assert "cdx2" not in names and "ttf1" not in names and "pax8_monoclonal" not in names


def test_site_posterior_is_deterministic() -> None:
    a = site_posterior({"CDX2": "pos", "PAX8": "pos"})
    b = site_posterior({"CDX2": "pos", "PAX8": "pos"})
    assert a == b


# --- 'other' as a mixture of sub-origins (thyroid C-cell and other organs) --------------------


def _sub(marker: str, sub_origin: str) -> tuple[float, set[tuple[str, int, int]]]:
    for m, _site, sub, mean, _interval, _imputed, studies in sub_origin_frequency_table():
        if (m, sub) == (marker, sub_origin):
            return mean, {(x.study, x.k, x.n) for x in studies}
    raise AssertionError((marker, sub_origin))


def test_other_is_split_into_thyroid_c_cell_and_other_organs_with_dirichlet_shares() -> None:
    """Shares are Dirichlet(1 + pseudo-count): 3 of 10 for a NET (mean 1/3), 0 of 10 for a NEC."""
    assert sub_origin_shares("well")["other"] == pytest.approx(
        {"thyroid_c_cell": 4 / 12, "other_non_thyroid": 8 / 12}
    )
    assert sub_origin_shares("poor")["other"]["thyroid_c_cell"] == pytest.approx(1 / 12)


def test_thyroid_c_cell_counts_come_from_medullary_carcinoma_series() -> None:
    """TTF-1 8/8 (Agoff), 6/6 (Kaufmann); PAX8 MRQ-50 0/45 (Gucer); calcitonin 23/30 (Krisch)."""
    ttf1, ttf1_studies = _sub("ttf1", "thyroid_c_cell")
    assert {("TTF1-AGOFF", 8, 8), ("TTF1-KAUFMANN", 6, 6)} <= ttf1_studies
    pax8, pax8_studies = _sub("pax8", "thyroid_c_cell")
    assert ("MTC-GUCER", 0, 45) in pax8_studies
    calcitonin, calcitonin_studies = _sub("calcitonin", "thyroid_c_cell")
    assert ("MTC-KRISCH", 23, 30) in calcitonin_studies
    assert ttf1 > 0.6 and calcitonin > 0.75 and pax8 < 0.15


def test_other_organs_keep_the_reference_counts_and_add_kidney_and_ovary() -> None:
    _, cdx2 = _sub("cdx2", "other_non_thyroid")
    assert {("LIN", 0, 5), ("KIDNEY-HUM", 0, 9), ("OVARY-LLOYD", 2, 41)} <= cdx2
    _, mono = _sub("pax8_monoclonal", "other_non_thyroid")
    _, mono_thyroid = _sub("pax8_monoclonal", "thyroid_c_cell")
    # PAX8-RE's 49 'other' NETs split by organ: thyroid 5, the rest 44
    assert ("PAX8-RE", 0, 44) in mono and ("PAX8-RE", 0, 5) in mono_thyroid


def test_calcitonin_is_a_scored_marker_and_cea_is_recorded_only() -> None:
    post = site_posterior({"calcitonin": "pos", "CEA": "pos"})
    used = {e.id: e.used for e in post.evidence}
    assert used == {"calcitonin": "scored", "cea": "not_site_informative"}


def test_ttf1_and_calcitonin_positive_point_to_a_thyroid_c_cell_origin() -> None:
    post = site_posterior({"TTF-1": "pos", "calcitonin": "pos"})
    assert post.top(1) == ("other",)
    note = next(w for w in post.warnings if w.code == "mixture_site_breakdown")
    assert "thyroid C-cell" in note.message


def test_calcitonin_moves_other_up_when_positive_and_down_when_negative() -> None:
    base = site_posterior({"TTF1": "pos"}).probability("other")
    assert site_posterior({"TTF1": "pos", "calcitonin": "pos"}).probability("other") > base
    assert site_posterior({"TTF1": "pos", "calcitonin": "neg"}).probability("other") < base


def test_ttf1_positive_without_calcitonin_recommends_calcitonin_among_the_next_markers() -> None:
    assert "calcitonin" in {r.marker for r in recommend_markers({"TTF1": "pos"})}


def test_contributions_add_up_exactly_for_the_mixture_site() -> None:
    """'other' is scored with the mixture likelihood; its terms are sequential predictives."""
    post = site_posterior(
        {"calcitonin": "focal", "TTF1": "pos", "PAX8": "pos", "CDX2": "neg"},
        {"carcinoid_syndrome": "no"},
    )
    other = next(s for s in post.sites if s.site == "other")
    for b in post.sites:
        if b.site == "other":
            continue
        lhs = math.log10(other.probability / b.probability)
        rhs = (
            math.log10(other.prior / b.prior)
            + sum(c.log10_lr for c in other.contributions)
            - sum(c.log10_lr for c in b.contributions)
        )
        assert lhs == pytest.approx(rhs, abs=1e-9)


def test_the_mixture_is_not_the_product_of_averaged_frequencies() -> None:
    """TTF-1+ and calcitonin+ are both thyroid features: the mixture keeps them together, so
    'other' scores higher than a model that averaged each marker over the sub-origins."""
    post = site_posterior({"TTF1": "pos", "calcitonin": "pos"})
    other = next(s for s in post.sites if s.site == "other")
    shares = sub_origin_shares("well")["other"]
    averaged = 1.0
    for marker in ("ttf1", "calcitonin"):
        averaged *= sum(shares[sub] * _sub(marker, sub)[0] for sub in shares)
    lung = next(s for s in post.sites if s.site == "lung")

    def likelihood_ratio(site: SiteProbability) -> float:
        return math.prod(10**c.log10_lr for c in site.contributions)

    mixture_ratio = likelihood_ratio(other) / likelihood_ratio(lung)
    averaged_ratio = averaged / math.prod(c.frequency for c in lung.contributions)
    assert mixture_ratio > 1.5 * averaged_ratio
