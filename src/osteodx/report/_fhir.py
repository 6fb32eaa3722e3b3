"""An :class:`Assessment` as a FHIR R4 Bundle (JSON), validated with ``fhir.resources.R4B``.

Formatting only: every number comes from the assessment. The Bundle (type ``collection``) holds

- the inputs: the Patient, an Observation per finding (HPO or osteodx-local code, ``valueBoolean``
  true for observed, false for excluded), a LOINC Observation per laboratory value (UCUM unit,
  interpretation, reference range), a Condition per history item, and the age at assessment;
- a ``DiagnosticReport`` (status ``preliminary``: decision support, not a verified diagnosis)
  whose ``result`` lists one Observation per diagnosis in ranked order. Each carries the
  post-test probability (``valueQuantity``, %), the pre-test probability, the composite likelihood
  ratio and the rank as components, and its basis - the prior's source and the strongest reasons
  for and against, each with its likelihood ratio and source - as notes and components;
  ``derivedFrom`` points at the input Observations behind those reasons;
- a ``ServiceRequest`` (intent ``proposal``) per next test to discuss, and the ``Device``
  (osteodx with its knowledge-base and HPO versions) that produced the result.

The conclusion and the narrative carry the decision-support disclaimer. The osteodx FHIR reader
reads such a Bundle back into the same findings (it skips the differential it wrote).
"""

from __future__ import annotations

import re
import uuid
from html import escape
from typing import Any

from osteodx.assessment import Assessment
from osteodx.case import Finding, Measurement
from osteodx.case._fhir import (
    AGE_CODE,
    ASSESSMENT_CODE,
    CONDITION_VERIFICATION_SYSTEM,
    HPO_SYSTEM,
    LOINC_SYSTEM,
    OSTEODX_CASE_SYSTEM,
    OSTEODX_CONDITION_SYSTEM,
    OSTEODX_FINDING_SYSTEM,
    OSTEODX_OBSERVATION_SYSTEM,
    OSTEODX_SECTION_SYSTEM,
    UCUM_SYSTEM,
    V3_INTERPRETATION_SYSTEM,
)
from osteodx.differential import Contribution, DiagnosisResult
from osteodx.report._numbers import band_sentence, probability_text

__all__ = ["assessment_to_fhir"]

REASONS_SHOWN = 3
CONCLUSION_DIAGNOSES = 10
_INTERPRETATION = {"high": ("H", "High"), "low": ("L", "Low"), "normal": ("N", "Normal")}


_pct = probability_text  # the one formatter of every output (report/_numbers.py)


def _percent(p: float) -> dict[str, Any]:
    return {"value": float(f"{100 * p:.6g}"), "unit": "%", "system": UCUM_SYSTEM, "code": "%"}


def _fhir_id(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9.\-]+", "-", text).strip("-.")[:64]
    return cleaned or "case"


def _finding_coding(finding_id: str, label: str) -> dict[str, str]:
    system = HPO_SYSTEM if finding_id.startswith("HP:") else OSTEODX_FINDING_SYSTEM
    return {"system": system, "code": finding_id, "display": label}


def _reason(c: Contribution, direction: str) -> str:
    state = "" if c.present else "absent: "
    if c.match == "not_mentioned":
        state = "not mentioned: "
    matched = f", matched to {c.matched_label}" if c.matched_label else ""
    kind = c.support.label if c.support is not None else ("judgement" if c.estimate else "")
    cited = f"; source {c.source}" if c.source else ""
    return (
        f"{direction}: {state}{c.label} ({c.finding_id}{matched}; {c.match}); "
        f"log10 LR {c.log10_lr:+.2f} (P(finding | diagnosis) {c.probability:.3g}, "
        f"overall {c.background:.3g}); evidence: {kind}{cited}"
    )


class _Writer:
    def __init__(self, assessment: Assessment) -> None:
        self.a = assessment
        self.case = assessment.case
        self.seed = f"osteodx:{self.case.case_id}:{assessment.created}"
        self.entries: list[dict[str, Any]] = []
        self.patient_ref = self._url("Patient", 0)
        self.device_ref = self._url("Device", 0)
        self.finding_refs: dict[str, str] = {}

    def _url(self, kind: str, n: int | str) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{self.seed}:{kind}:{n}')}"

    def _add(self, url: str, resource: dict[str, Any]) -> None:
        resource.setdefault("id", url.rsplit(":", 1)[-1])
        self.entries.append({"fullUrl": url, "resource": resource})

    # --- inputs ---------------------------------------------------------------------------
    def _patient(self) -> None:
        gender = self.case.sex.value  # male | female | unknown: all FHIR AdministrativeGender
        self._add(
            self.patient_ref,
            {"resourceType": "Patient", "id": _fhir_id(self.case.case_id), "gender": gender},
        )
        if self.case.age_years is not None:
            self._add(
                self._url("Observation", "age"),
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {
                        "coding": [
                            {
                                "system": OSTEODX_OBSERVATION_SYSTEM,
                                "code": AGE_CODE,
                                "display": "Age at assessment",
                            }
                        ],
                        "text": "Age at assessment",
                    },
                    "subject": {"reference": self.patient_ref},
                    "valueQuantity": {
                        "value": round(self.case.age_years, 4),
                        "unit": "years",
                        "system": UCUM_SYSTEM,
                        "code": "a",
                    },
                },
            )

    def _finding(self, n: int, f: Finding) -> None:
        note = [{"text": f"evidence ({f.origin}): {f.evidence}"}] if f.evidence else []
        if f.origin == "history":
            url = self._url("Condition", n)
            status = "confirmed" if f.present else "refuted"
            resource: dict[str, Any] = {
                "resourceType": "Condition",
                "verificationStatus": {
                    "coding": [{"system": CONDITION_VERIFICATION_SYSTEM, "code": status}]
                },
                "code": {"coding": [_finding_coding(f.id, f.label)], "text": f.label},
                "subject": {"reference": self.patient_ref},
            }
        else:
            url = self._url("Observation", n)
            resource = {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [_finding_coding(f.id, f.label)], "text": f.label},
                "subject": {"reference": self.patient_ref},
                "valueBoolean": f.present,
            }
        if note:
            resource["note"] = note
        self.finding_refs.setdefault(f.id, url)
        self._add(url, resource)

    def _measurement(self, n: int, m: Measurement) -> None:
        url = self._url("Measurement", n)
        coding = {"system": LOINC_SYSTEM, "code": _loinc(m), "display": m.name}
        quantity = {"value": m.value, "unit": m.unit, "system": UCUM_SYSTEM, "code": m.unit}
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [coding] if coding["code"] else [], "text": m.name},
            "subject": {"reference": self.patient_ref},
            "valueQuantity": quantity,
            "note": [{"text": f"entered as {m.entered}"}],
        }
        if not resource["code"]["coding"]:
            del resource["code"]["coding"]
        if m.interpretation in _INTERPRETATION:
            code, display = _INTERPRETATION[m.interpretation]
            resource["interpretation"] = [
                {"coding": [{"system": V3_INTERPRETATION_SYSTEM, "code": code, "display": display}]}
            ]
        bounds: dict[str, Any] = {}
        for name, bound in (("low", m.reference_low), ("high", m.reference_high)):
            if bound is not None:
                bounds[name] = {**quantity, "value": bound}
        if bounds:
            if m.reference_source:
                bounds["text"] = f"source: {m.reference_source}"
            resource["referenceRange"] = [bounds]
        self._add(url, resource)
        for term_id in _lab_terms(self.case.findings, m):
            self.finding_refs.setdefault(term_id, url)

    def _reading_warnings(self) -> None:
        """What the case reader skipped or guessed, as an OperationOutcome of warnings."""
        if not self.case.warnings:
            return
        self._add(
            self._url("OperationOutcome", 0),
            {
                "resourceType": "OperationOutcome",
                "issue": [_warning_issue(w.loc, w.message, w.fix) for w in self.case.warnings],
            },
        )

    # --- the differential -----------------------------------------------------------------
    def _diagnosis(self, d: DiagnosisResult) -> str:
        url = self._url("Diagnosis", d.key)
        reasons_for = d.reasons_for(REASONS_SHOWN)
        reasons_against = d.reasons_against(REASONS_SHOWN)
        prior_kind = d.prior_support.label if d.prior_support else "judgement"
        prior = f"pre-test probability {_pct(d.pretest)}; evidence: {prior_kind}" + (
            f"; source {d.prior_source}" if d.prior_source else ""
        )
        share = (
            f"{d.judgement_share():.0%} of the weight of evidence for and against this diagnosis "
            "rests on our judgements; the rest on published counts or statements"
        )
        notes = [prior, share]
        if d.rank == 1 and band_sentence(d.posttest):
            notes.append(band_sentence(d.posttest))
        notes += [_reason(c, "for") for c in reasons_for]
        notes += [_reason(c, "against") for c in reasons_against]
        components: list[dict[str, Any]] = [
            {"code": {"text": "pre-test probability"}, "valueQuantity": _percent(d.pretest)},
            {
                "code": {"text": "log10 composite likelihood ratio"},
                "valueQuantity": {
                    "value": round(d.log10_composite_lr, 4),
                    "unit": "log10 LR",
                    "system": UCUM_SYSTEM,
                    "code": "1",
                },
            },
            {"code": {"text": "rank"}, "valueInteger": d.rank},
        ]
        for direction, items in (("for", reasons_for), ("against", reasons_against)):
            for c in items:
                components.append(
                    {
                        "code": {
                            "coding": [_finding_coding(c.finding_id, c.label)],
                            "text": f"reason {direction}: {c.label}",
                        },
                        "valueQuantity": {
                            "value": round(c.log10_lr, 4),
                            "unit": "log10 LR",
                            "system": UCUM_SYSTEM,
                            "code": "1",
                        },
                    }
                )
        derived = list(
            dict.fromkeys(
                self.finding_refs[c.finding_id]
                for c in (*reasons_for, *reasons_against)
                if c.finding_id in self.finding_refs
            )
        )
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "preliminary",
            "code": {
                "coding": [{"system": OSTEODX_CONDITION_SYSTEM, "code": d.key, "display": d.name}],
                "text": d.name,
            },
            "subject": {"reference": self.patient_ref},
            "effectiveDateTime": self.a.created,
            "issued": self.a.created,
            "device": {"reference": self.device_ref},
            "valueQuantity": _percent(d.posttest),
            "note": [{"text": text} for text in notes],
            "component": components,
        }
        if derived:
            resource["derivedFrom"] = [{"reference": ref} for ref in derived]
        self._add(url, resource)
        return url

    def _section(self, code: str, display: str, value: dict[str, Any], notes: list[str]) -> str:
        url = self._url("Section", code)
        self._add(
            url,
            {
                "resourceType": "Observation",
                "status": "preliminary",
                "code": {
                    "coding": [
                        {"system": OSTEODX_SECTION_SYSTEM, "code": code, "display": display}
                    ],
                    "text": display,
                },
                "subject": {"reference": self.patient_ref},
                "effectiveDateTime": self.a.created,
                "issued": self.a.created,
                "device": {"reference": self.device_ref},
                **value,
                "note": [{"text": text} for text in notes if text],
            },
        )
        return url

    def _sections(self) -> list[str]:
        """The NEN classification, site of origin and bone scores as Observations."""
        refs: list[str] = []
        nen = self.a.nen
        if nen is not None:
            c = nen.classification
            notes = [f"rule: {c.rule} (source {c.source})", c.convention or ""]
            if nen.site_posterior is not None:
                notes.append(
                    "site of origin: "
                    + "; ".join(
                        f"{s.site} {_pct(s.probability)}" for s in nen.site_posterior.sites[:5]
                    )
                )
            refs.append(
                self._section(
                    "nen-classification",
                    "WHO classification of the neuroendocrine neoplasm",
                    {"valueString": c.category},
                    notes,
                )
            )
        bone = self.a.bone
        if bone is not None:
            for r in bone.scores:
                if r.total is not None and r.category is not None:
                    value: dict[str, Any] = {
                        "valueInteger": r.total,
                        "interpretation": [{"text": r.category.label}],
                    }
                    notes = [r.category.interpretation, f"source {r.source}"]
                else:
                    value = {"valueString": f"cannot compute: needs {', '.join(r.missing)}"}
                    notes = [f"range {r.total_range[0]}-{r.total_range[1]}", f"source {r.source}"]
                refs.append(self._section(f"score-{r.score}", r.name, value, notes))
            for alt in bone.alternatives:
                a = alt.result
                if a.total is not None and a.category is not None:
                    value = {
                        "valueInteger": a.total,
                        "interpretation": [{"text": a.category.label}],
                    }
                else:
                    value = {"valueString": f"cannot compute: needs {', '.join(a.missing)}"}
                notes = [f"{alt.item} read as {alt.value}: {alt.reading}", f"source {a.source}"]
                name = f"{a.name}, read by {alt.reading}"
                refs.append(
                    self._section(f"score-{a.score}-{alt.item}-{alt.value}", name, value, notes)
                )
        return refs

    def _next_tests(self, report_ref: str) -> None:
        for n, t in enumerate(self.a.next_tests):
            outcomes = sorted(t.outcomes, key=lambda o: -o.probability)[:3]
            notes = [
                *([t.reason] if t.reason else []),
                f"tier: {t.tier}",
                f"expected information gain {t.expected_information_gain_bits:.2f} bits over "
                f"the differential; invasiveness {t.invasiveness.replace('_', ' ')}; "
                f"cost {t.cost}; "
                f"source {t.source}",
                *(
                    f"if {o.result} ({_pct(o.probability)}): {o.top_name_after or o.top_key_after} "
                    f"{_pct(o.top_probability_after)}"
                    for o in outcomes
                ),
                "an option to discuss, not an order",
            ]
            self._add(
                self._url("ServiceRequest", n),
                {
                    "resourceType": "ServiceRequest",
                    "status": "draft",
                    "intent": "proposal",
                    "code": {"text": t.name},
                    "subject": {"reference": self.patient_ref},
                    "reasonReference": [{"reference": report_ref}],
                    "note": [{"text": text} for text in notes],
                },
            )

    def _device(self) -> None:
        self._add(
            self.device_ref,
            {
                "resourceType": "Device",
                "deviceName": [{"name": "osteodx", "type": "user-friendly-name"}],
                "version": [
                    {"type": {"text": "osteodx"}, "value": self.a.osteodx_version},
                    {"type": {"text": "knowledge base"}, "value": self.a.knowledge_version},
                    {"type": {"text": "HPO"}, "value": self.a.hpo_version},
                ],
                "note": [{"text": self.a.disclaimer}],
            },
        )

    def _conclusion(self) -> str:
        diff = self.a.differential
        scope = "In scope" if diff.in_scope else "OUT OF SCOPE"
        ranked = "; ".join(
            f"{d.rank}. {d.name} {_pct(d.posttest)} (prior {_pct(d.pretest)})"
            for d in diff.diagnoses[:CONCLUSION_DIAGNOSES]
        )
        parts = [f"{scope}: {diff.scope_reason}.", f"Ranked differential: {ranked}."]
        if self.a.next_tests:
            tests = "; ".join(
                f"{t.name} ({t.expected_information_gain_bits:.2f} bits)" for t in self.a.next_tests
            )
            parts.append(f"Next tests to discuss: {tests}.")
        parts.append(self.a.disclaimer)
        return " ".join(parts)

    def _narrative(self) -> str:
        diff = self.a.differential
        rows = "".join(
            f"<tr><td>{d.rank}</td><td>{escape(d.name)}</td><td>{escape(_pct(d.posttest))}</td>"
            f"<td>{escape(_pct(d.pretest))}</td></tr>"
            for d in diff.diagnoses[:CONCLUSION_DIAGNOSES]
        )
        scope = "In scope" if diff.in_scope else "OUT OF SCOPE"
        return (
            '<div xmlns="http://www.w3.org/1999/xhtml">'
            f"<p><b>{escape(self.a.disclaimer)}</b></p>"
            f"<p>{scope}: {escape(diff.scope_reason)}</p>"
            "<table><tr><th>#</th><th>Diagnosis</th><th>Post-test</th><th>Pre-test</th></tr>"
            f"{rows}</table></div>"
        )

    def bundle(self) -> dict[str, Any]:
        self._patient()
        for n, m in enumerate(self.case.measurements):
            self._measurement(n, m)
        for n, f in enumerate(self.case.findings):
            if f.origin not in ("implied", "lab"):
                self._finding(n, f)
        self._device()
        report_ref = self._url("DiagnosticReport", 0)
        results = [self._diagnosis(d) for d in self.a.differential.diagnoses]
        results += self._sections()
        self._add(
            report_ref,
            {
                "resourceType": "DiagnosticReport",
                "text": {"status": "generated", "div": self._narrative()},
                "status": "preliminary",
                "code": {
                    "coding": [
                        {
                            "system": OSTEODX_OBSERVATION_SYSTEM,
                            "code": ASSESSMENT_CODE,
                            "display": "osteodx differential diagnosis",
                        }
                    ],
                    "text": "Differential diagnosis of sclerotic bone lesions (osteodx)",
                },
                "subject": {"reference": self.patient_ref},
                "effectiveDateTime": self.a.created,
                "issued": self.a.created,
                "result": [{"reference": ref} for ref in results],
                "conclusion": self._conclusion(),
            },
        )
        self._next_tests(report_ref)
        self._reading_warnings()
        # The report first, then the differential, the proposed tests and the inputs.
        order = {"DiagnosticReport": 0, "ServiceRequest": 2, "Device": 4}

        def rank(entry: dict[str, Any]) -> int:
            resource = entry["resource"]
            if resource["resourceType"] == "Observation" and resource["status"] == "preliminary":
                return 1
            return order.get(resource["resourceType"], 3)

        return {
            "resourceType": "Bundle",
            "id": _fhir_id(f"{self.case.case_id}-assessment"),
            "identifier": {"system": OSTEODX_CASE_SYSTEM, "value": self.case.case_id},
            "type": "collection",
            "timestamp": self.a.created,
            "entry": sorted(self.entries, key=rank),
        }


def _warning_issue(loc: str, message: str, fix: str) -> dict[str, Any]:
    return {
        "severity": "warning",
        "code": "informational",
        "diagnostics": f"{message}; {fix}",
        "expression": [loc],
    }


def _loinc(m: Measurement) -> str:
    if m.loinc:
        return m.loinc.removeprefix("LOINC:").strip()
    from osteodx.knowledge import load_knowledge

    for lab in load_knowledge().labs:
        if lab.key == m.analyte and lab.loinc:
            return lab.loinc[0].code
    return ""


def _lab_terms(findings: tuple[Finding, ...], m: Measurement) -> list[str]:
    return [f.id for f in findings if f.origin == "lab" and f.loc == m.loc]


def assessment_to_fhir(assessment: Assessment) -> dict[str, Any]:
    """The assessment as a FHIR R4 Bundle (a JSON-ready dict), checked with fhir.resources.

    Raises ``ValueError`` if the Bundle does not validate, which would be a bug in osteodx.
    """
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    bundle = _Writer(assessment).bundle()
    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:  # pragma: no cover - a bug, not a user error
        raise ValueError(f"osteodx wrote an invalid FHIR Bundle: {exc}") from exc
    return bundle
