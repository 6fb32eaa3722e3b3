"""FHIR R4 Bundle reader: Patient, Observations (labs, findings), Conditions, medications, errors.

Lab reference ranges in the tiny test knowledge base are made up (tests/fixtures/kb/labs.yaml);
the tests check conversion and flagging, not clinical numbers.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import osteodx
from osteodx.case import Case, CaseInputError, Sex
from osteodx.case._fhir import looks_like_fhir_bundle, parse_fhir_bundle, snomed_map
from osteodx.knowledge import hpo_index, load_knowledge

EXAMPLES = Path(__file__).parents[2] / "examples"
HPO = "http://purl.obolibrary.org/obo/hp.owl"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
PATIENT = "urn:uuid:00000000-0000-4000-8000-000000000001"


def _patient(**extra: Any) -> dict[str, Any]:
    return {
        "fullUrl": PATIENT,
        "resource": {"resourceType": "Patient", "id": "pat", "gender": "female", **extra},
    }


def _finding(code: str, label: str, **value: Any) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": HPO, "code": code, "display": label}]},
            "subject": {"reference": PATIENT},
            **value,
        }
    }


def _lab(loinc: str, value: Any, unit: str, **extra: Any) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": loinc}]},
            "subject": {"reference": PATIENT},
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
            **extra,
        }
    }


def _bundle(*entries: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "id": "b1",
        "type": "collection",
        "entry": list(entries),
        **extra,
    }


def _pairs(case: Case) -> set[tuple[str, bool]]:
    return {(f.id, f.present) for f in case.findings}


def _refused(data: Any, ctx: Any) -> CaseInputError:
    with pytest.raises(CaseInputError) as info:
        parse_fhir_bundle(data, "b.json", ctx)
    return info.value


# --- detection ----------------------------------------------------------------------------
def test_bundle_is_detected_and_other_documents_are_not() -> None:
    assert looks_like_fhir_bundle({"resourceType": "Bundle"})
    assert looks_like_fhir_bundle({"resourceType": "Patient"})  # refused later, with a fix
    assert looks_like_fhir_bundle({"type": "collection", "entry": [{"resource": {}}]})
    assert not looks_like_fhir_bundle({"id": "p1", "phenotypicFeatures": []})
    assert not looks_like_fhir_bundle({"id": "c1", "age": 30, "findings": ["Back pain"]})
    assert not looks_like_fhir_bundle(["resourceType"])


# --- Patient ------------------------------------------------------------------------------
def test_sex_and_age_at_the_latest_observation(tiny_ctx) -> None:
    bundle = _bundle(
        _patient(birthDate="1960-03-01"),
        _finding("HP:0005789", "Generalized osteosclerosis", effectiveDateTime="2019-05-01"),
        _finding("HP:0003418", "Back pain", effectiveDateTime="2020-03-01T09:30:00Z"),
        timestamp="2024-01-01T00:00:00Z",
    )
    case = parse_fhir_bundle(bundle, "b.json", tiny_ctx)
    assert case.case_id == "b1"
    assert case.sex is Sex.FEMALE
    assert case.age_years == pytest.approx(60.0)


def test_age_at_the_bundle_timestamp_when_nothing_is_dated(tiny_ctx) -> None:
    bundle = _bundle(_patient(birthDate="1960-03-01"), timestamp="2020-09-01T00:00:00Z")
    case = parse_fhir_bundle(bundle, "b.json", tiny_ctx)
    assert case.age_years == pytest.approx(60 + 184 / 365, abs=1e-4)


def test_no_date_to_reckon_the_age_from_is_a_warning(tiny_ctx) -> None:
    case = parse_fhir_bundle(_bundle(_patient(birthDate="1960-03-01")), "b.json", tiny_ctx)
    assert case.age_years is None
    assert any("age cannot be worked out" in w.message for w in case.warnings)


def test_other_gender_reads_as_unknown_sex(tiny_ctx) -> None:
    case = parse_fhir_bundle(_bundle(_patient(gender="other")), "b.json", tiny_ctx)
    assert case.sex is Sex.UNKNOWN


# --- Observations -------------------------------------------------------------------------
def test_loinc_lab_in_mg_per_dl_is_converted_and_flagged(tiny_ctx) -> None:
    """11.4 mg/dL calcium = 11.4 / 4.0078 mmol/L (molar mass 40.078 g/mol in the tiny KB)."""
    case = parse_fhir_bundle(
        _bundle(_patient(), _lab("17861-6", 11.4, "mg/dL")), "b.json", tiny_ctx
    )
    (m,) = case.measurements
    assert m.value == pytest.approx(11.4 / 4.0078, rel=1e-4)
    assert m.unit == "mmol/L"
    assert m.entered == "11.4 mg/dL"
    assert m.loinc == "LOINC:17861-6"
    assert m.interpretation == "high"
    assert m.loc == "entry[1].resource.valueQuantity"
    assert ("HP:0003072", True) in _pairs(case)


def test_reference_range_given_with_the_lab_is_preferred(tiny_ctx) -> None:
    range_ = [{"low": {"value": 27, "unit": "U/L"}, "high": {"value": 86, "unit": "U/L"}}]
    case = parse_fhir_bundle(
        _bundle(_patient(), _lab("6768-6", 125, "U/L", referenceRange=range_)), "b", tiny_ctx
    )
    assert case.measurements[0].interpretation == "high"
    assert case.measurements[0].reference_high == 86


@pytest.mark.parametrize(
    "value",
    [
        {"valueBoolean": False},
        {"valueCodeableConcept": {"text": "Absent"}},
        {"valueString": "not detected"},
        {
            "interpretation": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/"
                            "v3-ObservationInterpretation",
                            "code": "NEG",
                        }
                    ]
                }
            ]
        },
    ],
    ids=["valueBoolean", "absent-value", "not-detected", "interpretation-NEG"],
)
def test_finding_said_to_be_absent_is_excluded(tiny_ctx, value) -> None:
    case = parse_fhir_bundle(
        _bundle(_patient(), _finding("HP:0003418", "Back pain", **value)), "b", tiny_ctx
    )
    assert _pairs(case) == {("HP:0003418", False)}
    assert case.findings[0].loc == "entry[1].resource.code.coding[0].code"


def test_hpo_code_written_with_an_underscore_or_other_hpo_system_is_read(tiny_ctx) -> None:
    entry = _finding("HP_0003418", "Back pain", valueBoolean=True)
    entry["resource"]["code"]["coding"][0]["system"] = "http://human-phenotype-ontology.org"
    case = parse_fhir_bundle(_bundle(_patient(), entry), "b", tiny_ctx)
    assert _pairs(case) == {("HP:0003418", True)}


def test_uncoded_observation_is_read_as_text_with_a_warning(tiny_ctx) -> None:
    entry = {
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "Exposure history"},
            "valueString": "drinks magic water daily",
        }
    }
    case = parse_fhir_bundle(_bundle(_patient(), entry), "b", tiny_ctx)
    assert ("OSX:test_exposure", True) in _pairs(case)
    assert any("read as text" in w.message for w in case.warnings)


def test_entered_in_error_observation_is_not_read(tiny_ctx) -> None:
    entry = _finding("HP:0003418", "Back pain", valueBoolean=True)
    entry["resource"]["status"] = "entered-in-error"
    case = parse_fhir_bundle(_bundle(_patient(), entry), "b", tiny_ctx)
    assert case.findings == ()


# --- Conditions and medications -----------------------------------------------------------
def _condition(code: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "code": code,
        "subject": {"reference": PATIENT},
    }
    if status:
        resource["verificationStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": status,
                }
            ]
        }
    return {"resource": resource}


def test_hpo_coded_condition_is_history(tiny_ctx) -> None:
    condition = _condition({"coding": [{"system": HPO, "code": "HP:0003418"}]}, "confirmed")
    case = parse_fhir_bundle(_bundle(_patient(), condition), "b", tiny_ctx)
    assert [(f.id, f.present, f.origin, f.loc) for f in case.findings] == [
        ("HP:0003418", True, "history", "entry[1].resource.code.coding[0].code")
    ]


def test_refuted_condition_is_excluded_history(tiny_ctx) -> None:
    condition = _condition({"coding": [{"system": HPO, "code": "HP:0003418"}]}, "refuted")
    case = parse_fhir_bundle(_bundle(_patient(), condition), "b", tiny_ctx)
    assert _pairs(case) == {("HP:0003418", False)}


def test_condition_known_only_by_text_is_read_as_text(tiny_ctx) -> None:
    condition = _condition({"text": "Chronic back pain"})
    case = parse_fhir_bundle(_bundle(_patient(), condition), "b", tiny_ctx)
    assert ("HP:0003418", True) in _pairs(case)
    assert case.text_mentions[0].loc == "entry[1].resource.code"


def test_unconfirmed_condition_is_not_counted(tiny_ctx) -> None:
    condition = _condition({"text": "Back pain"}, "provisional")
    case = parse_fhir_bundle(_bundle(_patient(), condition), "b", tiny_ctx)
    assert case.findings == ()
    assert any("unconfirmed" in w.message for w in case.warnings)


def test_medication_statement_is_read_by_its_name(tiny_ctx) -> None:
    statement = {
        "resource": {
            "resourceType": "MedicationStatement",
            "status": "active",
            "medicationCodeableConcept": {"text": "Magic water"},
            "subject": {"reference": PATIENT},
        }
    }
    case = parse_fhir_bundle(_bundle(_patient(), statement), "b", tiny_ctx)
    assert ("OSX:test_exposure", True) in _pairs(case)


def test_medication_reference_is_resolved_in_the_bundle(tiny_ctx) -> None:
    medication = {
        "fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000aa",
        "resource": {"resourceType": "Medication", "code": {"text": "magic water"}},
    }
    statement = {
        "resource": {
            "resourceType": "MedicationStatement",
            "status": "not-taken",
            "medicationReference": {"reference": "urn:uuid:00000000-0000-4000-8000-0000000000aa"},
            "subject": {"reference": PATIENT},
        }
    }
    case = parse_fhir_bundle(_bundle(_patient(), medication, statement), "b", tiny_ctx)
    assert ("OSX:test_exposure", False) in _pairs(case)


# --- refusals -----------------------------------------------------------------------------
def test_invalid_unit_type_is_refused_at_its_fhir_path(tiny_ctx) -> None:
    entry = _lab("17861-6", 11.4, "mg/dL")
    entry["resource"]["valueQuantity"]["unit"] = 5
    error = _refused(_bundle(_patient(), entry), tiny_ctx)
    (issue,) = error.errors
    assert issue.loc == "entry[1].resource.valueQuantity.unit"
    assert "string" in issue.message and issue.fix


def test_unknown_unit_is_refused_with_the_accepted_units(tiny_ctx) -> None:
    error = _refused(_bundle(_patient(), _lab("17861-6", 11.4, "mg/furlong")), tiny_ctx)
    assert error.errors[0].loc == "entry[1].resource.valueQuantity.unit"
    assert "mmol/L" in error.errors[0].fix


def test_an_unknown_loinc_code_is_skipped_with_a_warning_naming_the_coding(tiny_ctx) -> None:
    bundle = _bundle(_patient(), _lab("2951-2", 140, "mmol/L"), _finding("HP:0003418", "Back pain"))
    case = parse_fhir_bundle(bundle, "b.json", tiny_ctx)
    (warning,) = [w for w in case.warnings if "2951-2" in w.message]
    assert warning.loc == "entry[1].resource.code.coding[0].code" and "skipped" in warning.message
    assert "osteodx labs" in warning.fix


def test_strict_reading_refuses_an_unknown_loinc_code(tiny_ctx) -> None:
    from dataclasses import replace

    error = _refused(
        _bundle(_patient(), _lab("2951-2", 140, "mmol/L")), replace(tiny_ctx, strict=True)
    )
    assert error.errors[0].loc == "entry[1].resource.code.coding[0].code"


def test_missing_resource_type_of_the_bundle_is_refused(tiny_ctx) -> None:
    error = _refused({"type": "collection", "entry": [_patient()]}, tiny_ctx)
    assert error.errors[0].loc == "resourceType"
    assert '"Bundle"' in error.errors[0].fix


def test_missing_resource_type_of_an_entry_is_refused(tiny_ctx) -> None:
    entry = _finding("HP:0003418", "Back pain")
    del entry["resource"]["resourceType"]
    error = _refused(_bundle(_patient(), entry), tiny_ctx)
    assert error.errors[0].loc == "entry[1].resource.resourceType"


def test_a_lone_resource_is_refused_with_the_bundle_as_fix(tiny_ctx) -> None:
    error = _refused({"resourceType": "Patient", "gender": "male"}, tiny_ctx)
    assert error.errors[0].loc == "resourceType"
    assert "Bundle" in error.errors[0].fix


@pytest.mark.parametrize(
    ("mutate", "loc", "words"),
    [
        (lambda b: b["entry"][1]["resource"].update(foo=1), "entry[1].resource.foo", "element"),
        (
            lambda b: b["entry"][0]["resource"].update(birthDate="1995-13-40"),
            "entry[0].resource.birthDate",
            "date",
        ),
        (
            lambda b: b["entry"][1]["resource"].update(valueString="x"),
            "entry[1].resource",
            "value[x]",
        ),
        (
            lambda b: b["entry"][1]["resource"].update(resourceType="Nonsense"),
            "entry[1].resource.resourceType",
            "not a FHIR R4 resource",
        ),
        (lambda b: b.update(entry={"a": 1}), "entry", "array"),
        (lambda b: b["entry"].append(_patient()), "entry[2].resource", "Patients"),
    ],
    ids=["unknown-element", "bad-date", "two-values", "unknown-type", "entry-object", "two-pats"],
)
def test_malformed_bundle_is_refused_naming_the_path(tiny_ctx, mutate, loc, words) -> None:
    bundle = _bundle(_patient(), _finding("HP:0003418", "Back pain", valueBoolean=True))
    mutate(bundle)
    error = _refused(bundle, tiny_ctx)
    assert error.errors[0].loc == loc
    assert words in error.errors[0].message
    assert error.errors[0].fix


def test_impossible_birth_date_after_the_observations_is_refused(tiny_ctx) -> None:
    bundle = _bundle(
        _patient(birthDate="2030-01-01"),
        _finding("HP:0003418", "Back pain", effectiveDateTime="2020-01-01"),
    )
    assert _refused(bundle, tiny_ctx).errors[0].loc == "entry[0].resource.birthDate"


def test_not_an_object_is_refused(tiny_ctx) -> None:
    assert _refused([1, 2], tiny_ctx).errors[0].loc == "(document)"


fhir_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
fhir_values = st.recursive(
    fhir_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
resource_keys = st.sampled_from(
    ["resourceType", "status", "code", "valueQuantity", "valueBoolean", "gender", "birthDate"]
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.dictionaries(resource_keys, fhir_values, max_size=5), max_size=4),
    st.sampled_from(["Observation", "Patient", "Condition", "MedicationStatement", None]),
)
def test_any_bundle_gives_a_case_or_a_case_input_error(tiny_ctx, resources, rtype) -> None:
    entries = []
    for resource in resources:
        if rtype is not None:
            resource = {**resource, "resourceType": rtype}
        entries.append({"resource": resource})
    try:
        case = parse_fhir_bundle(_bundle(*entries), "fuzz", tiny_ctx)
    except CaseInputError as exc:
        assert exc.errors and all(i.loc and i.message and i.fix for i in exc.errors)
    else:
        assert isinstance(case, Case)


# --- shipped knowledge base -----------------------------------------------------------------
def test_every_snomed_mapping_names_a_current_finding_with_its_label() -> None:
    kb = load_knowledge()
    for code, mapping in snomed_map().items():
        label = kb.finding_label(mapping.finding.id, hpo_index())
        assert label == mapping.finding.label, code
        # where the concept was read, or our own reading of the term, said so with its basis
        assert (mapping.source or "").startswith("https://") or (mapping.estimate and mapping.basis)


def test_snomed_coded_history_and_voriconazole_are_read() -> None:
    bundle = _bundle(
        _patient(),
        _condition({"coding": [{"system": SNOMED, "code": "709044004"}]}, "confirmed"),
        _condition({"text": "Hepatitis C"}),
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "status": "active",
                "medicationCodeableConcept": {
                    # a made-up local formulary code: the display is what is read
                    "coding": [
                        {"system": "urn:example:formulary", "code": "V1", "display": "voriconazole"}
                    ]
                },
                "subject": {"reference": PATIENT},
            }
        },
    )
    case = parse_fhir_bundle(bundle, "b.json")
    pairs = _pairs(case)
    assert ("HP:0012622", True) in pairs  # chronic kidney disease, by SNOMED CT
    assert ("OSX:hepatitis_c", True) in pairs  # by the condition's text
    assert ("OSX:voriconazole_therapy", True) in pairs
    assert ("OSX:fluoride_exposure", True) in pairs  # implied by voriconazole
    history = {f.id: f.origin for f in case.findings}
    assert history["HP:0012622"] == "history"


def test_founding_case_bundle_reads_like_the_phenopacket() -> None:
    """Same facts as examples/founding-case.json: same findings, same top-5 ranking."""
    fhir_case = parse_fhir_bundle(
        json.loads((EXAMPLES / "founding-case.fhir.json").read_text(encoding="utf-8")),
        "founding-case.fhir.json",
    )
    packet = osteodx.read_case(EXAMPLES / "founding-case.json")
    assert fhir_case.case_id == packet.case_id == "founding-case"
    assert (fhir_case.sex, fhir_case.age_years) == (packet.sex, packet.age_years)
    assert _pairs(fhir_case) == _pairs(packet)
    top = [d.key for d in osteodx.assess(fhir_case).differential.diagnoses[:5]]
    assert top == [d.key for d in osteodx.assess(packet).differential.diagnoses[:5]]
    assert fhir_case.warnings == ()


def test_reading_does_not_change_the_document(tiny_ctx) -> None:
    bundle = _bundle(_patient(birthDate="1960-03-01"), _lab("17861-6", 11.4, "mg/dL"))
    before = copy.deepcopy(bundle)
    parse_fhir_bundle(bundle, "b", tiny_ctx)
    assert bundle == before
