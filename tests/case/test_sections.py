"""Optional case sections: NEN pathology (case form and phenopacket biosamples), bone scores and
treatment context, and observed test results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from osteodx.case import CaseInputError, parse_case_form, parse_phenopacket, read_case

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _form(**sections: Any):
    return parse_case_form(
        {
            "id": "c1",
            "age": 50,
            "sex": "female",
            "findings": ["Generalized osteosclerosis"],
            **sections,
        },
        "form.yaml",
    )


def _error(**sections: Any):
    with pytest.raises(CaseInputError) as info:
        _form(**sections)
    return info.value.issues[0]


def test_pathology_section_is_read_into_the_case_with_metastatic_sites() -> None:
    case = _form(
        pathology={
            "differentiation": "well",
            "ki67": 10,
            "markers": {"TTF-1": "neg", "Synaptophysin": "pos"},
            "metastases": ["bone", "lymph nodes", "Liver"],
        }
    )
    assert case.pathology is not None
    p = case.pathology.pathology
    assert (p.differentiation, p.ki67_percent, p.site) == ("well", 10, "unknown")
    assert dict(p.markers) == {"ttf1": "neg", "synaptophysin": "pos"}
    assert case.pathology.metastases == ("bone", "lymph_nodes", "liver")


def test_a_neuroendocrine_pathology_report_counts_as_the_biopsy_result() -> None:
    case = _form(pathology={"differentiation": "well", "markers": {"chromogranin A": "pos"}})
    (result,) = case.test_results
    assert (result.test, result.outcome) == ("bone_biopsy_ihc", 0)
    assert result.result.startswith("neuroendocrine")


def test_pathology_without_neuroendocrine_evidence_is_kept_but_not_counted() -> None:
    case = _form(pathology={"ki67": 5, "markers": {"synaptophysin": "neg"}})
    assert case.pathology is not None
    assert case.test_results == ()
    assert any("not established" in w.message for w in case.warnings)


def test_the_biopsy_replaces_a_known_nen_read_from_the_notes() -> None:
    case = _form(
        pathology={"differentiation": "well"},
        notes="Bone biopsy: metastatic neuroendocrine tumour.",
    )
    assert "OSX:history_nen" not in {f.id for f in case.findings}
    assert [m.status for m in case.text_mentions if m.finding_id == "OSX:history_nen"] == [
        "overridden"
    ]
    assert case.test_results[0].supersedes == ("OSX:history_nen",)


@pytest.mark.parametrize(
    ("pathology", "loc", "words"),
    [
        ({"ki67": 150}, "pathology.ki67", "between 0 and 100"),
        ({"markers": {"foo": "pos"}}, "pathology.markers", "foo"),
        ({"markers": {"TTF1": "maybe"}}, "pathology.markers", "maybe"),
        ({"grade_please": 2}, "pathology.grade_please", "use one of"),
        ({"metastases": ["moon"]}, "pathology.metastases[0]", "bone"),
    ],
)
def test_bad_pathology_values_name_the_field_and_the_fix(
    pathology: dict[str, Any], loc: str, words: str
) -> None:
    issue = _error(pathology=pathology)
    assert issue.loc.startswith(loc)
    assert words in f"{issue.message} {issue.fix}"


def test_bone_section_keeps_score_items_and_treatment_context() -> None:
    case = _form(
        bone={
            "mirels": {"site": "lower_limb", "pain": "moderate"},
            "katagiri": {"ecog": 1, "chemo": False},
            "sstr_krenning": 3,
            "progression": False,
        }
    )
    assert case.bone is not None
    assert case.bone.items("mirels") == {"site": "lower_limb", "pain": "moderate"}
    # YAML reads an unquoted `no` as False; the item spells it as a word.
    assert case.bone.items("katagiri") == {"ecog": 1, "chemo": "no"}
    assert (case.bone.context.sstr_krenning, case.bone.context.progression) == (3, False)


@pytest.mark.parametrize(
    ("bone", "loc", "words"),
    [
        ({"mirels": {"size": "huge"}}, "bone.mirels.size", "lt_1_3"),
        ({"mirels": {"colour": "red"}}, "bone.mirels.colour", "site"),
        ({"mirels": "lower_limb"}, "bone.mirels", "item"),
        ({"sstr_krenning": 7}, "bone.sstr_krenning", "7"),
        ({"favourite_score": 3}, "bone.favourite_score", "mirels"),
    ],
)
def test_bad_bone_values_name_the_field_and_the_accepted_values(
    bone: dict[str, Any], loc: str, words: str
) -> None:
    issue = _error(bone=bone)
    assert issue.loc == loc
    assert words in f"{issue.message} {issue.fix}"


def test_results_section_takes_outcome_ids_and_negative() -> None:
    case = _form(results={"dotatate_pet": "sstr_avid", "fdg_pet": "negative"})
    got = {(r.test, r.outcome) for r in case.test_results}
    assert got == {("dotatate_pet", 0), ("fdg_pet", 2)}


@pytest.mark.parametrize(
    ("results", "loc", "words"),
    [
        ({"crystal_ball": "yes"}, "results.crystal_ball", "dotatate_pet"),
        ({"dotatate_pet": "glowing"}, "results.dotatate_pet", "sstr_avid"),
    ],
)
def test_unknown_tests_and_results_are_refused_with_the_accepted_ones(
    results: dict[str, Any], loc: str, words: str
) -> None:
    issue = _error(results=results)
    assert issue.loc == loc
    assert words in issue.fix


def _biosample(**extra: Any) -> dict[str, Any]:
    return {
        "id": "s1",
        "sampledTissue": {"id": "UBERON:0002429", "label": "cervical lymph node"},
        "histologicalDiagnosis": {"label": "Metastatic well differentiated neuroendocrine tumor"},
        "tumorGrade": {"label": "G2"},
        "diagnosticMarkers": [{"label": "Synaptophysin positive"}, {"label": "CDX2 negative"}],
        "measurements": [
            {
                "assay": {"id": "LOINC:29593-1", "label": "Ki-67"},
                "value": {"quantity": {"unit": {"id": "UCUM:%"}, "value": 12}},
            }
        ],
        **extra,
    }


def _packet(*biosamples: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "p1",
        "subject": {"id": "p1", "sex": "MALE"},
        "phenotypicFeatures": [{"type": {"id": "HP:0011001"}}],
        "biosamples": list(biosamples),
    }


def test_phenopacket_biosample_gives_the_pathology_report() -> None:
    case = parse_phenopacket(_packet(_biosample()), "p.json")
    assert case.pathology is not None
    p = case.pathology.pathology
    assert (p.differentiation, p.ki67_percent) == ("well", 12)
    assert dict(p.markers) == {"synaptophysin": "pos", "cdx2": "neg"}
    assert case.pathology.reported_grade == "G2"
    assert case.pathology.metastases == ("lymph_nodes",)
    assert [r.test for r in case.test_results] == ["bone_biopsy_ihc"]


def test_two_biopsies_of_one_tumour_give_one_report_with_both_sites() -> None:
    bone = _biosample(id="s2", sampledTissue={"label": "iliac crest bone"})
    case = parse_phenopacket(_packet(_biosample(), bone), "p.json")
    assert case.pathology is not None
    assert set(case.pathology.metastases) == {"lymph_nodes", "bone"}
    assert len(case.test_results) == 1


def test_biosamples_without_neuroendocrine_content_are_left_alone() -> None:
    other = {"id": "s3", "histologicalDiagnosis": {"label": "Adenocarcinoma"}}
    case = parse_phenopacket(_packet(other), "p.json")
    assert case.pathology is None
    assert case.test_results == ()


def test_founding_case_biopsy_examples_agree() -> None:
    from_form = read_case(EXAMPLES / "founding-case-biopsy.yaml")
    from_packet = read_case(EXAMPLES / "founding-case-biopsy.json")
    assert from_form.pathology is not None and from_packet.pathology is not None
    for attr in ("differentiation", "ki67_percent", "markers", "site"):
        assert getattr(from_form.pathology.pathology, attr) == getattr(
            from_packet.pathology.pathology, attr
        )
    assert set(from_form.pathology.metastases) == set(from_packet.pathology.metastases)
    assert json.loads((EXAMPLES / "founding-case-biopsy.json").read_text())["biosamples"]


def _fhir_with_pathology(conclusion: str) -> dict[str, Any]:
    bundle = json.loads((EXAMPLES / "founding-case.fhir.json").read_text())
    patient = bundle["entry"][0]["fullUrl"]

    def obs(n: int, code: dict[str, Any], **value: Any) -> dict[str, Any]:
        resource = {"resourceType": "Observation", "id": f"path-{n}", "status": "final"}
        resource.update(code=code, subject={"reference": patient}, **value)
        return {
            "fullUrl": f"urn:uuid:5f0c1e2a-0000-4000-8000-0000000009{n:02d}",
            "resource": resource,
        }

    ki67 = {"coding": [{"system": "http://loinc.org", "code": "29593-1"}]}
    bundle["entry"] += [
        obs(
            1,
            ki67,
            valueQuantity={
                "value": 10,
                "unit": "%",
                "system": "http://unitsofmeasure.org",
                "code": "%",
            },
        ),
        obs(2, {"text": "Synaptophysin"}, valueCodeableConcept={"text": "positive"}),
        obs(3, {"text": "TTF-1"}, valueString="negative"),
    ]
    report = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "DiagnosticReport")
    report["resource"]["conclusion"] = conclusion
    return bundle


def test_fhir_pathology_observations_give_the_pathology_report() -> None:
    from osteodx.case import parse_fhir_bundle

    bundle = _fhir_with_pathology(
        "Iliac crest: metastatic well differentiated neuroendocrine tumour."
    )
    case = parse_fhir_bundle(bundle, "bundle.json")
    assert case.pathology is not None
    p = case.pathology.pathology
    assert (p.ki67_percent, p.differentiation) == (10, "well")
    assert dict(p.markers) == {"synaptophysin": "pos", "ttf1": "neg"}
    assert [r.test for r in case.test_results] == ["bone_biopsy_ihc"]


def test_fhir_ki67_without_a_number_is_refused_with_the_fix() -> None:
    from osteodx.case import parse_fhir_bundle

    bundle = _fhir_with_pathology("Metastatic neuroendocrine tumour.")
    bundle["entry"][-3]["resource"].pop("valueQuantity")
    with pytest.raises(CaseInputError) as info:
        parse_fhir_bundle(bundle, "bundle.json")
    assert "Ki-67" in info.value.issues[0].message
