"""Property tests: any value in the pathology, bone and results sections or in a biosample
gives a Case or a CaseInputError naming a field, never another exception."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osteodx.case import CaseInputError, parse_case_form, parse_phenopacket

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["pos", "neg", "focal", "well", "poor", "bone", "G2", "lt_1_3", "yes"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=8), inner, max_size=3),
    ),
    max_leaves=6,
)
pathology_keys = st.sampled_from(
    [
        "site",
        "differentiation",
        "ki67",
        "mitoses",
        "necrosis",
        "markers",
        "morphology",
        "components",
        "size_mm",
        "specimen",
        "crush_artefact",
        "diagnosis",
        "metastases",
        "reported_grade",
        "unknown_key",
    ]
)
bone_keys = st.sampled_from(
    [
        "mirels",
        "sins",
        "katagiri",
        "ecog",
        "sstr_krenning",
        "prior_therapies",
        "progression",
        "nonsense",
    ]
)
biosample_keys = st.sampled_from(
    ["histologicalDiagnosis", "diagnosticMarkers", "measurements", "sampledTissue", "tumorGrade"]
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE = {"id": "c", "findings": ["Generalized osteosclerosis"]}


def _case_or_field_error(parse: Any, *args: Any) -> None:
    try:
        parse(*args)
    except CaseInputError as exc:
        assert exc.issues and all(i.loc for i in exc.issues)


@SETTINGS
@given(st.dictionaries(pathology_keys, values, max_size=4))
def test_any_pathology_section_reads_or_names_the_field(section: dict[str, Any]) -> None:
    _case_or_field_error(parse_case_form, {**BASE, "pathology": section}, "f.yaml")


@SETTINGS
@given(
    st.dictionaries(bone_keys, values, max_size=3),
    st.dictionaries(st.text(max_size=12), values, max_size=2),
)
def test_any_bone_and_results_sections_read_or_name_the_field(
    bone: dict[str, Any], results: dict[str, Any]
) -> None:
    _case_or_field_error(parse_case_form, {**BASE, "bone": bone, "results": results}, "f.yaml")


@SETTINGS
@given(st.lists(st.dictionaries(biosample_keys, values, max_size=4), max_size=2), values)
def test_any_biosample_reads_or_names_the_field(samples: list[dict[str, Any]], extra: Any) -> None:
    packet = {"id": "p", "phenotypicFeatures": [{"type": {"id": "HP:0011001"}}]}
    for s in samples:
        s.setdefault("histologicalDiagnosis", {"label": "Neuroendocrine tumor"})
    _case_or_field_error(parse_phenopacket, {**packet, "biosamples": samples}, "p.json")
    _case_or_field_error(parse_phenopacket, {**packet, "biosamples": extra}, "p.json")
