"""FHIR R4 Bundle writer: valid against fhir.resources, ranked differential with basis, inputs,
disclaimer, and a round trip through the FHIR reader."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

import osteodx
from osteodx.case._fhir import parse_fhir_bundle
from osteodx.report._fhir import assessment_to_fhir

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def founding() -> osteodx.Assessment:
    return osteodx.assess(osteodx.read_case(EXAMPLES / "founding-case.yaml"))


@pytest.fixture(scope="module")
def with_labs() -> osteodx.Assessment:
    """Labs with unit conversion (phosphate 2.4 mmol/L, PTH 95 pmol/L) and an exposure."""
    return osteodx.assess(osteodx.read_case(EXAMPLES / "dialysis-rugger-jersey.yaml"))


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _report(bundle: dict[str, Any]) -> dict[str, Any]:
    (report,) = _resources(bundle, "DiagnosticReport")
    return report


@pytest.mark.parametrize("name", ["founding", "with_labs"])
def test_written_bundle_validates_with_fhir_resources(name, request) -> None:
    bundle = assessment_to_fhir(request.getfixturevalue(name))
    text = json.dumps(bundle)  # plain JSON, no Python objects left
    parsed = Bundle.model_validate_json(text)
    assert parsed.type == "collection"
    assert parsed.entry[0].resource.get_resource_type() == "DiagnosticReport"


def test_report_lists_the_ranked_differential_with_probabilities(founding) -> None:
    bundle = assessment_to_fhir(founding)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    report = _report(bundle)
    results = [by_url[r["reference"]] for r in report["result"]]
    diagnoses = founding.differential.diagnoses
    assert [r["code"]["coding"][0]["code"] for r in results] == [d.key for d in diagnoses]
    for obs, d in zip(results, diagnoses, strict=True):
        assert obs["valueQuantity"]["code"] == "%"
        assert obs["valueQuantity"]["value"] == pytest.approx(100 * d.posttest, rel=1e-5)
        components = {c["code"]["text"]: c for c in obs["component"]}
        assert components["rank"]["valueInteger"] == d.rank
        assert components["pre-test probability"]["valueQuantity"]["value"] == pytest.approx(
            100 * d.pretest, rel=1e-5
        )
    assert report["status"] == "preliminary"


def test_each_diagnosis_carries_its_basis_with_sources(founding) -> None:
    bundle = assessment_to_fhir(founding)
    top = founding.differential.diagnoses[0]
    obs = next(
        r for r in _resources(bundle, "Observation") if r["code"]["coding"][0]["code"] == top.key
    )
    notes = " | ".join(n["text"] for n in obs["note"])
    assert "evidence: judgement" in notes or "evidence: count" in notes
    assert "rests on our judgements" in notes
    for reason in (*top.reasons_for(), *top.reasons_against()):
        assert reason.label in notes
        assert reason.support is not None and f"evidence: {reason.support.label}" in notes
        assert reason.source is None or reason.source in notes
    reason_codes = {
        c["code"]["coding"][0]["code"] for c in obs["component"] if "coding" in c["code"]
    }
    assert {c.finding_id for c in top.reasons_for()} <= reason_codes
    assert obs["derivedFrom"]  # points at the input observations behind the reasons


def test_disclaimer_is_in_the_conclusion_narrative_and_device(founding) -> None:
    bundle = assessment_to_fhir(founding)
    report = _report(bundle)
    assert "not a medical device" in report["conclusion"]
    assert report["conclusion"].startswith("In scope")
    div = ET.fromstring(report["text"]["div"])  # well-formed XHTML
    assert "not a medical device" in "".join(div.itertext())
    (device,) = _resources(bundle, "Device")
    assert founding.knowledge_version in json.dumps(device)


def test_next_tests_are_proposals_not_orders(founding) -> None:
    requests = _resources(assessment_to_fhir(founding), "ServiceRequest")
    assert [r["code"]["text"] for r in requests] == [t.name for t in founding.next_tests]
    assert all(r["intent"] == "proposal" and r["status"] == "draft" for r in requests)


def test_inputs_are_written_with_codes_units_and_interpretation(with_labs) -> None:
    bundle = assessment_to_fhir(with_labs)
    (patient,) = _resources(bundle, "Patient")
    assert patient["gender"] == "male"
    labs = [
        r
        for r in _resources(bundle, "Observation")
        if r["code"].get("coding", [{}])[0].get("system") == "http://loinc.org"
    ]
    assert len(labs) == len(with_labs.case.measurements)
    pth = next(r for r in labs if r["code"]["coding"][0]["code"] == "2731-8")
    assert pth["valueQuantity"]["code"] == "pg/mL"
    assert pth["interpretation"][0]["coding"][0]["code"] == "H"
    assert "95 pmol/L" in pth["note"][0]["text"]


def test_out_of_scope_assessment_says_so(founding) -> None:
    differential = replace(
        founding.differential, in_scope=False, scope_reason="no sclerotic bone finding"
    )
    bundle = assessment_to_fhir(replace(founding, differential=differential))
    assert _report(bundle)["conclusion"].startswith("OUT OF SCOPE: no sclerotic bone finding")


def test_writing_twice_gives_the_same_bundle(founding) -> None:
    assert assessment_to_fhir(founding) == assessment_to_fhir(founding)


@pytest.mark.parametrize("name", ["founding", "with_labs"])
def test_written_bundle_reads_back_into_the_same_case(name, request) -> None:
    assessment = request.getfixturevalue(name)
    case = assessment.case
    bundle = json.loads(json.dumps(assessment_to_fhir(assessment)))
    again = parse_fhir_bundle(bundle, "written.fhir.json")
    assert again.case_id == case.case_id
    assert (again.sex, again.age_years) == (case.sex, case.age_years)
    assert again.present_ids() == case.present_ids()
    assert again.excluded_ids() == case.excluded_ids()
    assert [(m.analyte, m.interpretation) for m in again.measurements] == [
        (m.analyte, m.interpretation) for m in case.measurements
    ]
    assert again.warnings == ()
    ranked = [(d.key, round(d.posttest, 9)) for d in osteodx.assess(again).differential.diagnoses]
    assert ranked == [(d.key, round(d.posttest, 9)) for d in assessment.differential.diagnoses]


def test_nen_classification_and_scores_are_written_and_not_read_back() -> None:
    from pathlib import Path

    from fhir.resources.R4B.bundle import Bundle

    from osteodx import assess, read_case
    from osteodx.case import parse_fhir_bundle
    from osteodx.report import assessment_to_fhir

    examples = Path(__file__).resolve().parents[2] / "examples"
    bundle = assessment_to_fhir(assess(read_case(examples / "founding-case-biopsy.yaml")))
    Bundle.model_validate(bundle)
    sections = {
        coding["code"]: e["resource"]
        for e in bundle["entry"]
        for coding in e["resource"].get("code", {}).get("coding", [])
        if coding.get("system") == "urn:osteodx:section"
    }
    assert sections["nen-classification"]["valueString"] == "NET G2"
    assert sections["score-tomita"]["valueString"].startswith("cannot compute: needs")
    report = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DiagnosticReport"
    )
    refs = {r["reference"] for r in report["result"]}
    section_urls = {
        e["fullUrl"]
        for e in bundle["entry"]
        if any(
            c.get("system") == "urn:osteodx:section"
            for c in e["resource"].get("code", {}).get("coding", [])
        )
    }
    # NEN classification, six scores, and Katagiri read by its unknown-origin row (NET of
    # unknown primary: both readings are written).
    assert len(section_urls) == 8 and section_urls <= refs
    assert "score-katagiri-primary-rapid" in sections
    again = parse_fhir_bundle(bundle, "out.json")
    assert again.pathology is None  # outputs are never read back as inputs
