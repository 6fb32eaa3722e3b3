"""Every worked example of nen-pathology.md section 7 (31 rows), one test each.

Source of every expected value: /work/shared/reference/nen-pathology.md, section 7 "Worked
examples (test cases)", which cites WHO 2019 digestive (Nagtegaal, PMID 31433515), WHO 2021
thoracic (Rekhtman, DOI 10.1038/s41379-019-0248-2), MiNEN (PathologyOutlines WHO 2019 page),
the goblet cell renaming (Gill, DOI 10.1111/his.14172), AJCC 8th GEP-NET M categories
(DOI 10.1245/s10434-017-6026-9) and the NE-marker rule (Möller, DOI 10.1016/j.mce.2023.112106).
"""

from __future__ import annotations

from typing import Any

import pytest

from osteodx.nen import Component, NenPathology, classify, stage_distant

WELL = {"differentiation": "well"}

# (example number, NenPathology fields, expected category label, expected grade)
CLASSIFICATION: list[tuple[int, dict[str, Any], str, str | None]] = [
    (1, {"site": "ileum", **WELL, "ki67_percent": 10, "mitoses_per_2mm2": 3}, "NET G2", "G2"),
    (2, {"site": "pancreas", **WELL, "ki67_percent": 1, "mitoses_per_2mm2": 1}, "NET G1", "G1"),
    (3, {"site": "ileum", **WELL, "ki67_percent": 1, "mitoses_per_2mm2": 3}, "NET G2", "G2"),
    (4, {"site": "pancreas", **WELL, "ki67_percent": 15, "mitoses_per_2mm2": 1}, "NET G2", "G2"),
    (5, {"site": "pancreas", **WELL, "ki67_percent": 35, "mitoses_per_2mm2": 8}, "NET G3", "G3"),
    (6, {"site": "rectum", **WELL, "ki67_percent": 12, "mitoses_per_2mm2": 25}, "NET G3", "G3"),
    (7, {"site": "ileum", **WELL, "ki67_percent": 3, "mitoses_per_2mm2": 0}, "NET G2", "G2"),
    (8, {"site": "pancreas", **WELL, "ki67_percent": 2.5, "mitoses_per_2mm2": 1}, "NET G1", "G1"),
    (9, {"site": "jejunum", **WELL, "ki67_percent": 20, "mitoses_per_2mm2": 4}, "NET G2", "G2"),
    (10, {"site": "stomach", **WELL, "ki67_percent": 1, "mitoses_per_2mm2": 2}, "NET G2", "G2"),
    (
        11,
        {
            "site": "colon",
            "differentiation": "poor",
            "morphology": "small_cell",
            "ki67_percent": 85,
            "mitoses_per_2mm2": 60,
        },
        "NEC, small cell type",
        None,
    ),
    (
        12,
        {
            "site": "pancreas",
            "differentiation": "poor",
            "morphology": "large_cell",
            "ki67_percent": 25,
            "mitoses_per_2mm2": 15,
        },
        "NEC, large cell type",
        None,
    ),
    (
        16,
        {"site": "lung", **WELL, "size_mm": 12, "mitoses_per_2mm2": 1, "necrosis": "none"},
        "typical carcinoid",
        "G1",
    ),
    (
        17,
        {"site": "lung", **WELL, "mitoses_per_2mm2": 3, "necrosis": "none"},
        "atypical carcinoid",
        "G2",
    ),
    (
        18,
        {"site": "lung", **WELL, "mitoses_per_2mm2": 1, "necrosis": "focal"},
        "atypical carcinoid",
        "G2",
    ),
    (
        19,
        {"site": "lung", **WELL, "mitoses_per_2mm2": 10, "necrosis": "none"},
        "atypical carcinoid",
        "G2",
    ),
    (
        20,
        {
            "site": "lung",
            "morphology": "large_cell",
            "markers": {"synaptophysin": "pos"},
            "mitoses_per_2mm2": 45,
            "necrosis": "extensive",
        },
        "LCNEC",
        None,
    ),
    (
        21,
        {
            "site": "lung",
            "morphology": "small_cell",
            "crush_artefact": True,
            "mitoses_per_2mm2": 80,
            "ki67_percent": 90,
        },
        "SCLC",
        None,
    ),
    (
        22,
        {"site": "lung", **WELL, "size_mm": 3, "mitoses_per_2mm2": 0, "necrosis": "none"},
        "tumorlet (not a carcinoid)",
        None,
    ),
    (
        24,
        {"site": "thymus", **WELL, "mitoses_per_2mm2": 4, "necrosis": "none"},
        "atypical carcinoid",
        "G2",
    ),
]


@pytest.mark.parametrize(
    ("number", "fields", "category", "grade"),
    CLASSIFICATION,
    ids=[f"example_{n:02d}_{c.split(',')[0].replace(' ', '_')}" for n, _, c, _ in CLASSIFICATION],
)
def test_worked_example_classification(
    number: int, fields: dict[str, Any], category: str, grade: str | None
) -> None:
    """nen-pathology.md section 7, examples 1-12, 16-22 and 24 (expected output column)."""
    result = classify(NenPathology(**fields))
    assert result.category == category, result.rule
    assert result.grade == grade


def test_example_03_discordant_values_take_the_higher_grade() -> None:
    """Example 3: Ki-67 1 % (G1) with 3 mitoses (G2) is NET G2 by the WHO discordance rule."""
    result = classify(
        NenPathology(site="ileum", differentiation="well", ki67_percent=1, mitoses_per_2mm2=3)
    )
    assert result.rule_id == "gep_grade_discordant_higher"
    assert [c.grade for c in result.criteria] == ["G1", "G2"]
    assert [c.decisive for c in result.criteria] == [False, True]


def test_example_11_nec_gets_no_g_grade() -> None:
    """Example 11: a poorly differentiated colonic small cell carcinoma is NEC, not 'G3'."""
    result = classify(
        NenPathology(
            site="colon",
            differentiation="poor",
            morphology="small_cell",
            ki67_percent=85,
            mitoses_per_2mm2=60,
        )
    )
    assert result.family == "NEC" and result.grade is None
    assert result.rule_id == "differentiation_first_nec"


def test_example_12_morphology_defines_nec_and_the_low_mitoses_are_flagged() -> None:
    """Example 12: NEC by morphology even at Ki-67 25 %; mit 15 alone would not make a NEC."""
    result = classify(
        NenPathology(
            site="pancreas",
            differentiation="poor",
            morphology="large_cell",
            ki67_percent=25,
            mitoses_per_2mm2=15,
        )
    )
    assert result.category_id == "nec_large_cell"
    assert "nec_low_mitoses_per_2mm2" in {w.code for w in result.warnings}


def test_example_13_adenocarcinoma_and_lcnec_each_over_30_percent_is_minen() -> None:
    """Example 13: adenocarcinoma 60 % + LCNEC 40 % -> MiNEN; each component described."""
    result = classify(
        NenPathology(
            site="colon",
            components=[
                Component(kind="non_neuroendocrine", percent=60, histology="adenocarcinoma"),
                Component(
                    kind="neuroendocrine",
                    percent=40,
                    differentiation="poor",
                    morphology="large_cell",
                ),
            ],
        )
    )
    assert result.category_id == "minen" and result.family == "MiNEN"
    assert result.category.startswith("MiNEN") and "adenocarcinoma" in result.category
    ne = [c for c in result.components if c.kind == "neuroendocrine"]
    assert ne[0].classification is not None
    assert ne[0].classification.category == "NEC, large cell type"


def test_example_14_minor_ne_component_is_not_minen() -> None:
    """Example 14: adenocarcinoma 85 % + NEC 15 % -> adenocarcinoma with minor NE component."""
    result = classify(
        NenPathology(
            site="colon",
            components=[
                Component(kind="non_neuroendocrine", percent=85, histology="adenocarcinoma"),
                Component(kind="neuroendocrine", percent=15, differentiation="poor"),
            ],
        )
    )
    assert result.category_id == "non_nen_minor_ne"
    assert result.category.startswith("Adenocarcinoma") and "not MiNEN" in result.category


def test_example_15_goblet_cell_carcinoid_is_goblet_cell_adenocarcinoma() -> None:
    """Example 15: WHO 2019 renamed appendiceal 'goblet cell carcinoid' (not a NET)."""
    result = classify(NenPathology(site="appendix", diagnosis_term="goblet cell carcinoid"))
    assert result.category_id == "goblet_cell_adenocarcinoma"
    assert result.family == "non_NEN"
    assert result.source == "DOI:10.1111/his.14172"


def test_example_23_lung_ki67_is_flagged_but_does_not_classify() -> None:
    """Example 23: mit 1, no necrosis, Ki-67 25 % -> typical carcinoid, 'elevated Ki-67' flag."""
    result = classify(
        NenPathology(
            site="lung",
            differentiation="well",
            mitoses_per_2mm2=1,
            necrosis="none",
            ki67_percent=25,
        )
    )
    assert result.category == "typical carcinoid"
    assert "elevated_ki67" in {w.code for w in result.warnings}


def test_example_25_crushed_biopsy_with_low_ki67_is_carcinoid_not_sclc() -> None:
    """Example 25: crushed lung biopsy, small cells, no countable mitoses, Ki-67 4 % ->
    carcinoid (not SCLC); typical vs atypical not determinable on the biopsy."""
    result = classify(
        NenPathology(
            site="lung",
            morphology="small_cell",
            crush_artefact=True,
            specimen="biopsy",
            ki67_percent=4,
        )
    )
    assert result.category_id == "carcinoid_tc_ac_undetermined"
    assert result.family == "NET" and result.grade is None
    assert result.rule_id == "thoracic_crushed_biopsy_ki67"


@pytest.mark.parametrize(
    ("number", "site", "grade_ki67", "metastases", "m"),
    [
        (26, "ileum", 10, ["liver"], "M1a"),
        (27, "pancreas", 1, ["bone"], "M1b"),
        (28, "ileum", 10, ["liver", "bone"], "M1c"),
    ],
    ids=["example_26_liver_only_M1a", "example_27_bone_only_M1b", "example_28_liver_and_bone_M1c"],
)
def test_worked_example_staging(
    number: int, site: str, grade_ki67: float, metastases: list[str], m: str
) -> None:
    """Examples 26-28: AJCC 8th GEP-NET M1a liver only, M1b extrahepatic only, M1c both;
    any M1 is stage IV."""
    c = classify(NenPathology(site=site, differentiation="well", ki67_percent=grade_ki67))
    s = stage_distant(c, metastases)
    assert s.applies and s.m == m and s.stage == "IV"


def test_example_29_index_case_is_net_g2_by_convention_tx_m1b_equivalent_stage_iv() -> None:
    """Example 29 (index case): unknown primary, well diff., syn+/CgA+, Ki-67 10 %, iliac bone
    and cervical node metastases -> NET G2 (GEP thresholds, convention); TX, M1b-equivalent,
    stage IV."""
    c = classify(
        NenPathology(
            site="unknown",
            differentiation="well",
            markers={"synaptophysin": "pos", "chromogranin A": "pos"},
            ki67_percent=10,
        )
    )
    assert c.category == "NET G2" and c.grade == "G2"
    assert c.convention is not None and "convention" in c.convention
    assert c.ne_differentiation == "confirmed"
    s = stage_distant(c, ["bone", "lymph_nodes"])
    assert (s.t, s.m, s.m_equivalent, s.stage) == ("TX", "M1b", True, "IV")
    assert s.convention is not None


def test_example_30_pancreatic_nec_is_not_staged_with_the_net_chapter() -> None:
    """Example 30: pancreatic NEC with liver metastases -> exocrine pancreas TNM, not AJCC NET."""
    c = classify(
        NenPathology(
            site="pancreas", differentiation="poor", morphology="large_cell", ki67_percent=70
        )
    )
    s = stage_distant(c, ["liver"])
    assert not s.applies and s.m is None
    assert "exocrine pancreas" in s.system


def test_example_31_cd56_only_does_not_establish_ne_differentiation() -> None:
    """Example 31: CD56 + only, synaptophysin -, chromogranin A -, INSM1 - -> NE
    differentiation not established (CD56 is not specific)."""
    c = classify(
        NenPathology(
            site="colon",
            differentiation="well",
            ki67_percent=5,
            markers={"CD56": "pos", "synaptophysin": "neg", "CgA": "neg", "INSM1": "neg"},
        )
    )
    assert c.category_id == "ne_not_established"
    assert c.ne_differentiation == "not_established" and c.grade is None
    assert "cd56_only" in {w.code for w in c.warnings}


def test_all_31_worked_examples_are_covered() -> None:
    """Bookkeeping: 1-12, 16-22, 24 parametrised; 13-15, 23, 25-31 have their own tests."""
    covered = {n for n, *_ in CLASSIFICATION} | {13, 14, 15, 23, 25, 26, 27, 28, 29, 30, 31}
    assert covered == set(range(1, 32))


def test_a_typical_carcinoid_with_a_high_ki67_is_flagged_as_discordant_with_what_to_do() -> None:
    result = classify(
        NenPathology(
            site="lung",
            differentiation="well",
            ki67_percent=30,
            mitoses_per_2mm2=1,
            necrosis="none",
            size_mm=20,
        )
    )
    assert result.category_id == "typical_carcinoid"
    (warning,) = [w for w in result.warnings if w.code == "elevated_ki67"]
    assert "discordant" in warning.message and "LCNEC" in warning.message
    assert "count mitoses" in warning.message
