"""Reader for GA4GH Phenopacket v2 documents (protobuf JSON, camelCase, or the same in YAML)."""

from __future__ import annotations

from typing import Any

from osteodx.case._build import CaseBuilder, ReadingContext
from osteodx.case._model import Case
from osteodx.case._sections import read_biosamples

__all__ = ["looks_like_phenopacket", "parse_phenopacket"]

_PHENOPACKET_KEYS = {
    "phenotypicFeatures",
    "metaData",
    "subject",
    "measurements",
    "diseases",
    "medicalActions",
    "biosamples",
    "interpretations",
}


def looks_like_phenopacket(data: object) -> bool:
    return isinstance(data, dict) and bool(_PHENOPACKET_KEYS & set(data))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _term_of(b: CaseBuilder, node: Any, loc: str) -> tuple[str, str] | None:
    """The id and label of an OntologyClass node, or None after recording the problem."""
    if not isinstance(node, dict):
        b.error(
            loc,
            "expected an ontology class object with 'id' and 'label'",
            'write {"id": "HP:0003418", "label": "Back pain"}',
        )
        return None
    term_id = node.get("id")
    label = node.get("label")
    if not isinstance(term_id, str) or not term_id.strip():
        b.error(f"{loc}.id", "missing ontology term id", "give the term's CURIE, e.g. HP:0003418")
        return None
    return term_id.strip(), label if isinstance(label, str) else ""


def parse_phenopacket(data: Any, source: str, context: ReadingContext | None = None) -> Case:
    b = CaseBuilder(source, context)
    if not isinstance(data, dict):
        b.error(
            "(document)", "a phenopacket must be a JSON object", "check the file is a phenopacket"
        )
        return b.build()
    case_id = data.get("id")
    subject = _dict(data.get("subject"))
    if isinstance(case_id, str) and case_id.strip():
        b.case_id = case_id.strip()
    elif isinstance(subject.get("id"), str):
        b.case_id = subject["id"]
    else:
        b.error("id", "the phenopacket has no 'id'", 'add a unique "id" at the top level')

    if "sex" in subject:
        b.set_sex(subject.get("sex"), "subject.sex")
    age = _dict(_dict(subject.get("timeAtLastEncounter")).get("age"))
    if "iso8601duration" in age:
        b.set_age(age["iso8601duration"], "subject.timeAtLastEncounter.age.iso8601duration")

    features = data.get("phenotypicFeatures", [])
    if not isinstance(features, list):
        b.error("phenotypicFeatures", "must be a list", "write phenotypicFeatures as a JSON array")
        features = []
    for i, feature in enumerate(features):
        loc = f"phenotypicFeatures[{i}]"
        if not isinstance(feature, dict):
            b.error(loc, "a phenotypic feature must be an object", 'write {"type": {"id": ...}}')
            continue
        term = _term_of(b, feature.get("type"), f"{loc}.type")
        if term is None:
            continue
        if not term[0].startswith("HP:"):
            b.warn(f"{loc}.type.id", f"{term[0]} is not an HPO term; ignored", "use HPO terms")
            continue
        excluded = feature.get("excluded", False)
        if not isinstance(excluded, bool):
            b.error(
                f"{loc}.excluded", f"must be true or false, not {excluded!r}", "use true or false"
            )
            continue
        b.add_term(term[0], not excluded, f"{loc}.type.id")

    _read_measurements(b, data.get("measurements", []))
    _read_diseases(b, data.get("diseases", []))
    _read_medical_actions(b, data.get("medicalActions", []))
    read_biosamples(b, data.get("biosamples"))

    description = data.get("description")
    if isinstance(description, str):
        b.description = description
        b.add_text(description, "description")
    return b.build()


def _read_measurements(b: CaseBuilder, measurements: Any) -> None:
    if not isinstance(measurements, list):
        b.error("measurements", "must be a list", "write measurements as a JSON array")
        return
    for i, m in enumerate(measurements):
        loc = f"measurements[{i}]"
        if not isinstance(m, dict):
            b.error(loc, "a measurement must be an object", "see the Phenopacket v2 Measurement")
            continue
        assay = _term_of(b, m.get("assay"), f"{loc}.assay")
        if assay is None:
            continue
        lab = b.ctx.labs.by_loinc(assay[0]) if assay[0].upper().startswith("LOINC:") else None
        if lab is None:
            b.unknown_code(
                f"{loc}.assay.id",
                f"assay {assay[0]} ({assay[1] or 'no label'}) is not a LOINC code osteodx knows",
                "use a supported LOINC code (`osteodx labs` lists them) or remove the measurement",
            )
            continue
        value = _dict(m.get("value"))
        quantity = _dict(value.get("quantity"))
        if not quantity:
            if "ontologyClass" in value:
                b.warn(f"{loc}.value", "a categorical result is not interpreted", "give a quantity")
            else:
                b.error(f"{loc}.value.quantity", "missing quantity", "give value.quantity")
            continue
        unit_node = _dict(quantity.get("unit"))
        unit = unit_node.get("id") or unit_node.get("label")
        own = _dict(quantity.get("referenceRange"))
        own_range = None
        if own:
            low, high = own.get("low"), own.get("high")
            own_range = (
                float(low) if isinstance(low, int | float) and not isinstance(low, bool) else None,
                float(high)
                if isinstance(high, int | float) and not isinstance(high, bool)
                else None,
            )
        b.add_lab(
            lab,
            quantity.get("value"),
            unit if isinstance(unit, str) else None,
            f"{loc}.value.quantity",
            loinc=assay[0],
            own_range=own_range,
        )


def _read_diseases(b: CaseBuilder, diseases: Any) -> None:
    """Diseases are history (e.g. chronic kidney disease, hepatitis C), read by their label."""
    if not isinstance(diseases, list):
        b.error("diseases", "must be a list", "write diseases as a JSON array")
        return
    for i, disease in enumerate(diseases):
        loc = f"diseases[{i}]"
        if not isinstance(disease, dict):
            b.error(loc, "a disease must be an object", 'write {"term": {"id": ..., "label": ...}}')
            continue
        term = _term_of(b, disease.get("term"), f"{loc}.term")
        if term is None:
            continue
        excluded = disease.get("excluded", False) is True
        if term[0].startswith("HP:"):
            b.add_term(term[0], not excluded, f"{loc}.term.id", origin="history")
        elif term[1]:
            # No trailing full stop: spaCy would keep "C." of "Hepatitis C." as one token.
            b.add_text(f"{'No ' if excluded else ''}{term[1]}", f"{loc}.term.label")


def _read_medical_actions(b: CaseBuilder, actions: Any) -> None:
    """Treatments (haemodialysis, voriconazole) are read from their labels with the text matcher."""
    if not isinstance(actions, list):
        b.error("medicalActions", "must be a list", "write medicalActions as a JSON array")
        return
    for i, action in enumerate(actions):
        loc = f"medicalActions[{i}]"
        if not isinstance(action, dict):
            b.error(loc, "a medical action must be an object", "see Phenopacket v2 MedicalAction")
            continue
        for kind in ("treatment", "procedure", "radiationTherapy", "therapeuticRegimen"):
            node = _dict(action.get(kind))
            if not node:
                continue
            agent = _dict(
                node.get("agent")
                or node.get("code")
                or node.get("modality")
                or node.get("ontologyClass")
            )
            label = agent.get("label")
            if isinstance(label, str) and label.strip():
                b.add_text(label, f"{loc}.{kind}")
