"""Reader for HL7 FHIR R4 Bundles (JSON), validated with ``fhir.resources.R4B``.

``fhir.resources`` 8.x builds its default models for FHIR R5; its ``R4B`` sub-package holds the
FHIR 4.3 models, which read and write R4 (4.0.1) JSON for every resource used here (Bundle,
Patient, Observation, Condition, MedicationStatement, DiagnosticReport, Device).

What is read, and where it goes in the :class:`Case`:

- ``Patient.gender`` -> sex; ``Patient.birthDate`` -> age at the *latest clinical date* in the
  Bundle: the latest ``Observation.effective[x]`` (or ``DiagnosticReport.effective[x]``), else
  ``Bundle.timestamp``. That mirrors a phenopacket's ``timeAtLastEncounter``. A birth date of
  only a year or a year and month is taken as the middle of that year or month.
- ``Observation`` coded in LOINC for a laboratory test osteodx knows -> a measurement (units are
  UCUM, converted to the analyte's unit); coded in HPO, or in SNOMED CT where
  ``knowledge/data/snomed.yaml`` maps the concept -> a finding. ``valueBoolean: false``, an
  "absent"/"negative"/"no" value or an interpretation of NEG, ND or N make it an excluded finding.
- ``Condition`` -> history: HPO or mapped SNOMED codes as terms, anything else by its text;
  ``verificationStatus: refuted`` excludes it.
- ``MedicationStatement`` -> the medication's text or display, read by the text reader
  (voriconazole -> long-term voriconazole therapy); ``status: not-taken`` negates it.
- ``DiagnosticReport.conclusion`` and every ``note`` -> free text.

The Bundle is first validated with ``fhir.resources``; each validation error becomes a case error
at its FHIR path (``entry[3].resource.valueQuantity.unit``) with a fix. Only
:class:`CaseInputError` ever leaves :func:`parse_fhir_bundle`.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from osteodx.case._build import CaseBuilder, ReadingContext
from osteodx.case._issues import CaseInputError, Issue
from osteodx.case._model import Case, Sex
from osteodx.case._units import UnitError, parse_value_with_unit
from osteodx.knowledge._data import DataError, load
from osteodx.knowledge._schema import Sourced, TermRef
from osteodx.knowledge._vocabulary import vocabulary

__all__ = [
    "HPO_SYSTEM",
    "LOINC_SYSTEM",
    "OSTEODX_CASE_SYSTEM",
    "OSTEODX_CONDITION_SYSTEM",
    "OSTEODX_FINDING_SYSTEM",
    "OSTEODX_OBSERVATION_SYSTEM",
    "SNOMED_SYSTEM",
    "UCUM_SYSTEM",
    "V3_INTERPRETATION_SYSTEM",
    "SnomedMapping",
    "looks_like_fhir_bundle",
    "parse_fhir_bundle",
    "snomed_map",
]

HPO_SYSTEM = "http://purl.obolibrary.org/obo/hp.owl"
LOINC_SYSTEM = "http://loinc.org"
# Cells.Ki-67 nuclear Ag/cells in Tissue by Immune stain (a percentage).
KI67_LOINC = "29593-1"
SNOMED_SYSTEM = "http://snomed.info/sct"
UCUM_SYSTEM = "http://unitsofmeasure.org"
V3_INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONDITION_VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
# osteodx's own code systems: local findings (OSX:...), differential diagnoses (knowledge-base
# keys) and the observations osteodx itself writes (age at assessment, the assessment report).
OSTEODX_CASE_SYSTEM = "urn:osteodx:case"
OSTEODX_FINDING_SYSTEM = "urn:osteodx:finding"
OSTEODX_CONDITION_SYSTEM = "urn:osteodx:condition"
OSTEODX_OBSERVATION_SYSTEM = "urn:osteodx:observation"
# The NEN classification and bone scores of an osteodx assessment (outputs, never read back).
OSTEODX_SECTION_SYSTEM = "urn:osteodx:section"
AGE_CODE = "age-at-assessment"
ASSESSMENT_CODE = "differential-diagnosis"

_HPO_SYSTEMS = {
    HPO_SYSTEM,
    "http://purl.obolibrary.org/obo/hp",
    "http://purl.obolibrary.org/obo/hp.obo",
    "http://human-phenotype-ontology.org",
    "https://human-phenotype-ontology.org",
    "http://www.human-phenotype-ontology.org",
    "https://hpo.jax.org",
    "https://hpo.jax.org/app",
    "hpo",
    "hp",
}
_HPO_CODE = re.compile(r"^(?:HP[:_])?(\d{7})$", re.IGNORECASE)
_STRICT_HPO = re.compile(r"^HP:\d{7}$")
_LOCAL_CODE = re.compile(r"^OSX:[a-z0-9_]+$")

# Resources that only support others (or say nothing osteodx uses): ignored without a warning.
_SUPPORTING = {
    "Device",
    "Medication",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Encounter",
    "Location",
    "Provenance",
    "Composition",
    "Specimen",
    "ImagingStudy",
    "ServiceRequest",
}
_READ = {
    "Patient",
    "Observation",
    "Condition",
    "MedicationStatement",
    "DiagnosticReport",
}
MAX_REPORTED_VALIDATION_ERRORS = 25


# --- the SNOMED CT map ------------------------------------------------------------------------
class SnomedMapping(Sourced):
    """One SNOMED CT concept read as an osteodx finding (``knowledge/data/snomed.yaml``)."""

    snomed: str
    display: str
    finding: TermRef
    match: Literal["exact", "narrower"]
    note: str | None = None

    @field_validator("snomed")
    @classmethod
    def _sctid(cls, value: str) -> str:
        if not re.fullmatch(r"\d{6,18}", value):
            raise ValueError(f"{value!r} is not a SNOMED CT concept id (6-18 digits)")
        return value

    @model_validator(mode="after")
    def _narrower_is_a_judgement(self) -> SnomedMapping:
        if self.match == "narrower" and not self.estimate:
            raise ValueError("a narrower mapping is a judgement: set estimate: true and a basis")
        return self


class _SnomedFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mappings: tuple[SnomedMapping, ...]


@cache
def snomed_map() -> dict[str, SnomedMapping]:
    """The shipped SNOMED CT -> finding map, validated once per process."""
    parsed = load("knowledge/data/snomed.yaml", _SnomedFile)
    out: dict[str, SnomedMapping] = {}
    for mapping in parsed.mappings:
        if mapping.snomed in out:
            raise DataError(f"knowledge/data/snomed.yaml: {mapping.snomed} is mapped twice")
        out[mapping.snomed] = mapping
    return out


# --- detection --------------------------------------------------------------------------------
def looks_like_fhir_bundle(data: object) -> bool:
    """A FHIR resource (it names its ``resourceType``) or a Bundle that forgot to."""
    if not isinstance(data, dict):
        return False
    return "resourceType" in data or (
        isinstance(data.get("entry"), list)
        and any(isinstance(e, dict) and "resource" in e for e in data["entry"])
    )


# --- reading ----------------------------------------------------------------------------------
def parse_fhir_bundle(data: Any, source: str, context: ReadingContext | None = None) -> Case:
    """Read a FHIR R4 Bundle (parsed JSON) into a :class:`Case`.

    Raises :class:`CaseInputError` naming the FHIR path, the problem and the fix; never anything
    else.
    """
    try:
        return _parse(data, source, context)
    except CaseInputError:
        raise
    except Exception as exc:  # a bug or an input no check foresaw: still a clear refusal
        raise CaseInputError(
            source,
            (
                Issue(
                    "error",
                    "(document)",
                    f"the FHIR Bundle could not be read ({type(exc).__name__}: {exc})"[:300],
                    "check the Bundle against FHIR R4; if it is valid, report this to osteodx",
                ),
            ),
        ) from None


def _parse(data: Any, source: str, context: ReadingContext | None) -> Case:
    b = CaseBuilder(source, context)
    if not _check_shape(b, data):
        return b.build()  # raises with the errors found
    from fhir.resources.R4B.bundle import Bundle

    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        _report_validation_errors(b, exc, data)
        return b.build()
    _Reader(b, bundle).read()
    return b.build()


def _check_shape(b: CaseBuilder, data: Any) -> bool:
    """Checks fhir.resources cannot phrase well (or crashes on); False when reading must stop."""
    if not isinstance(data, dict):
        b.error(
            "(document)",
            "a FHIR Bundle must be a JSON object",
            'start with {"resourceType": "Bundle", ...}',
        )
        return False
    kind = data.get("resourceType")
    if kind is None:
        b.error(
            "resourceType",
            "missing; a FHIR resource must name its type",
            'add "resourceType": "Bundle" at the top level',
        )
        return False
    if kind != "Bundle":
        b.error(
            "resourceType",
            f"a {kind!r} resource is not a Bundle",
            "put the Patient, Observations, Conditions and MedicationStatements in a Bundle: "
            '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": ...}]}',
        )
        return False
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        b.error("entry", "must be a JSON array", 'write "entry": [{"resource": {...}}, ...]')
        return False
    for i, entry in enumerate(entries):
        loc = f"entry[{i}]"
        if not isinstance(entry, dict):
            b.error(loc, "a Bundle entry must be a JSON object", 'write {"resource": {...}}')
            continue
        resource = entry.get("resource")
        if resource is None:
            continue
        if not isinstance(resource, dict):
            b.error(f"{loc}.resource", "must be a JSON object", "give the resource as an object")
            continue
        rtype = resource.get("resourceType")
        if rtype is None:
            b.error(
                f"{loc}.resource.resourceType",
                "missing; every resource must name its type",
                'add e.g. "resourceType": "Observation"',
            )
        elif not isinstance(rtype, str) or not _is_r4_resource(rtype):
            b.error(
                f"{loc}.resource.resourceType",
                f"{rtype!r} is not a FHIR R4 resource type",
                "use a FHIR R4 resource such as " + ", ".join(sorted(_READ)),
            )
    return not any(i.level == "error" for i in b.issues)


@cache
def _is_r4_resource(name: str) -> bool:
    if not re.fullmatch(r"[A-Z][A-Za-z]{1,63}", name):
        return False
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.resource import Resource

    try:
        model = get_fhir_model_class(name)
    except (ValueError, KeyError, AttributeError):
        return False
    return isinstance(model, type) and issubclass(model, Resource)


# --- validation errors ------------------------------------------------------------------------
_FORMATS = {
    "Date": "write a date as YYYY, YYYY-MM or YYYY-MM-DD",
    "DateTime": "write a date-time as YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz",
    "Instant": "write an instant as YYYY-MM-DDThh:mm:ss+zz:zz (with a time zone)",
    "Time": "write a time as hh:mm:ss",
    "Decimal": "write a JSON number such as 11.4",
    "Integer": "write a whole number",
    "Id": "an id is 1-64 letters, digits, '-' or '.'",
    "Code": "write the code without leading or trailing spaces",
    "Uri": "write a URI without spaces",
    "Url": "write a URL without spaces",
    "Canonical": "write a canonical URL without spaces",
    "Oid": "write an OID as urn:oid:1.2.3",
    "Uuid": "write a UUID as urn:uuid:...",
}
_REGEX_MSG = re.compile(r"(\w+) value string does not match spec regex")


def _fhir_path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = str(part)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            continue  # pydantic's internal step names (function-after[...], union members)
        if name == "resource_type":
            name = "resourceType"
        elif name.endswith("__ext"):
            name = "_" + name[: -len("__ext")]
        out += ("." if out else "") + name
    return out or "(document)"


def _resource_type_at(data: dict[str, Any], loc: tuple[int | str, ...]) -> str | None:
    if len(loc) >= 3 and loc[0] == "entry" and isinstance(loc[1], int) and loc[2] == "resource":
        try:
            rtype = data["entry"][loc[1]]["resource"]["resourceType"]
        except (KeyError, IndexError, TypeError):
            return None
        return rtype if isinstance(rtype, str) else None
    return "Bundle"


def _report_validation_errors(b: CaseBuilder, exc: ValidationError, data: dict[str, Any]) -> None:
    errors = exc.errors()
    for err in errors[:MAX_REPORTED_VALIDATION_ERRORS]:
        loc = tuple(err.get("loc", ()))
        path = _fhir_path(loc)
        element = path.rsplit(".", 1)[-1]
        rtype = _resource_type_at(data, loc)
        spec = f"https://hl7.org/fhir/R4/{rtype.lower()}.html" if rtype else "the FHIR R4 spec"
        kind = str(err.get("type", ""))
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        value = err.get("input")
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        if kind == "extra_forbidden":
            message = f"{element!r} is not an element of {rtype or 'this resource'} in FHIR R4"
            fix = f"remove it or correct its spelling (element names are case-sensitive; {spec})"
        elif kind == "missing" or kind.endswith(".missing"):
            message = "required element is missing"
            fix = f"add {element} (see {spec})"
        elif kind == "list_type":
            message = f"must be a JSON array, not {shown}"
            fix = f"write {element} as [ ... ]"
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            message = f"must be a JSON object, not {shown}"
            fix = f"write {element} as {{ ... }} (see {spec})"
        elif kind.startswith("string_"):
            message = f"must be a string, not {shown}"
            fix = f'write {element} in quotes, e.g. "{value}"'
        elif kind.startswith("bool_"):
            message = f"must be true or false, not {shown}"
            fix = "write true or false without quotes"
        elif kind.startswith(("int_", "float_", "decimal_")):
            message = f"must be a number, not {shown}"
            fix = "write a JSON number such as 11.4"
        elif kind.startswith(("date_", "datetime_")):
            message = f"{shown} is not a FHIR date"
            fix = _FORMATS["Date"]
        elif (regex := _REGEX_MSG.search(msg)) is not None:
            name = regex.group(1)
            message = f"{shown} is not a valid FHIR {name[0].lower() + name[1:]}"
            fix = _FORMATS.get(name, f"correct the value (see {spec})")
        elif "but got multiple" in msg:
            choices = re.findall(r"'(\w+)'", msg)
            message = "more than one value[x] element is given; FHIR allows one"
            fix = "keep only one of " + ", ".join(choices[:12])
        else:
            message = msg or "invalid"
            fix = f"correct it to match the FHIR R4 definition ({spec})"
        b.error(path, message, fix)
    if len(errors) > MAX_REPORTED_VALIDATION_ERRORS:
        b.error(
            "(document)",
            f"{len(errors) - MAX_REPORTED_VALIDATION_ERRORS} more validation errors not shown",
            "fix the errors above and read the Bundle again",
        )


# --- helpers over the validated models --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Code:
    system: str
    code: str
    display: str
    loc: str


def _codings(concept: Any, loc: str) -> list[_Code]:
    if concept is None:
        return []
    out: list[_Code] = []
    for j, coding in enumerate(concept.coding or ()):
        out.append(
            _Code(
                (coding.system or "").strip(),
                (coding.code or "").strip(),
                (coding.display or "").strip(),
                f"{loc}.coding[{j}]",
            )
        )
    return out


def _text_of(concept: Any) -> str:
    """The human text of a CodeableConcept: its text, else its codings' displays."""
    if concept is None:
        return ""
    if concept.text and concept.text.strip():
        return str(concept.text).strip()
    displays = [c.display.strip() for c in concept.coding or () if c.display and c.display.strip()]
    return "; ".join(dict.fromkeys(displays))


def _hpo_id(code: _Code) -> str | None:
    """The HPO id of a coding from an HPO system (or written as a full HP:nnnnnnn CURIE)."""
    if code.system.rstrip("/").lower() in _HPO_SYSTEMS or code.system.lower().startswith(
        "http://purl.obolibrary.org/obo/hp"
    ):
        match = _HPO_CODE.match(code.code)
        return f"HP:{match.group(1)}" if match else None
    return code.code if _STRICT_HPO.match(code.code) else None


def _is_system(code: _Code, system: str) -> bool:
    return code.system.rstrip("/").lower() == system.lower()


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value.strip()[:10])
        if not m:
            return None
        year = int(m.group(1))
        if m.group(2) is None:  # year only: the middle of the year
            return date(year, 7, 2)
        month = int(m.group(2))
        if m.group(3) is None:  # year and month: the middle of the month
            return date(year, month, (calendar.monthrange(year, month)[1] + 1) // 2)
        return date(year, month, int(m.group(3)))
    return None


def _age_in_years(birth: date, on: date) -> float:
    """Completed years plus the elapsed fraction of the current year of life."""
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))

    def birthday(year: int) -> date:
        if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
            return date(year, 2, 28)
        return birth.replace(year=year)

    last = birthday(birth.year + years)
    following = birthday(birth.year + years + 1)
    return years + (on - last).days / (following - last).days


def _effective_dates(resource: Any) -> Iterator[date]:
    for name in ("effectiveDateTime", "effectiveInstant"):
        found = _as_date(getattr(resource, name, None))
        if found:
            yield found
    period = getattr(resource, "effectivePeriod", None)
    if period is not None:
        found = _as_date(period.end) or _as_date(period.start)
        if found:
            yield found


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().casefold().replace("_", " "))


def _presence_of_concept(concept: Any) -> bool | None:
    if concept is None:
        return None
    candidates = [concept.text or ""]
    for coding in concept.coding or ():
        candidates.extend([coding.code or "", coding.display or ""])
    for candidate in candidates:
        words = _words(candidate)
        if words in vocabulary().fhir_presence.absent_words:
            return False
        if words in vocabulary().fhir_presence.present_words:
            return True
    return None


def _observation_presence(obs: Any) -> bool:
    """True unless the Observation says the finding was looked for and not found."""
    if obs.valueBoolean is not None:
        return bool(obs.valueBoolean)
    by_value = _presence_of_concept(obs.valueCodeableConcept)
    if by_value is not None:
        return by_value
    if obs.valueString is not None:
        words = _words(obs.valueString)
        if words in vocabulary().fhir_presence.absent_words:
            return False
        if words in vocabulary().fhir_presence.present_words:
            return True
    for concept in obs.interpretation or ():
        for coding in concept.coding or ():
            code = (coding.code or "").strip().upper()
            if code in vocabulary().fhir_presence.absent_interpretations:
                return False
            if code in vocabulary().fhir_presence.present_interpretations:
                return True
        by_text = _presence_of_concept(concept)
        if by_text is not None:
            return by_text
    return True


def _phrase(text: str) -> str:
    """A coded item's text for the text reader, without a final full stop: spaCy keeps "C." of
    "Hepatitis C." as one token, so the phrase "hepatitis c" would not match it."""
    return text.strip().rstrip(".").strip()


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _unit_of(quantity: Any) -> str | None:
    code = (quantity.code or "").strip()
    system = (quantity.system or "").strip().rstrip("/")
    if code and (not system or system == UCUM_SYSTEM):
        return code
    unit = (quantity.unit or "").strip()
    return unit or code or None


# --- the reader -------------------------------------------------------------------------------
class _Reader:
    def __init__(self, b: CaseBuilder, bundle: Any) -> None:
        self.b = b
        self.bundle = bundle
        self.entries: list[tuple[int, Any]] = [
            (i, e.resource) for i, e in enumerate(bundle.entry or ()) if e.resource is not None
        ]
        self.by_reference: dict[str, Any] = {}
        for entry in bundle.entry or ():
            resource = entry.resource
            if resource is None:
                continue
            if entry.fullUrl:
                self.by_reference[str(entry.fullUrl)] = resource
            if resource.id:
                self.by_reference[f"{resource.get_resource_type()}/{resource.id}"] = resource
        self.texts: list[str] = []
        # Pathology observations (Ki-67, IHC results, histology) gathered into one report.
        self.pathology: dict[str, Any] = {}
        self.pathology_loc = ""

    def read(self) -> None:
        b = self.b
        identifier = self.bundle.identifier
        if identifier is not None and identifier.value and identifier.value.strip():
            b.case_id = str(identifier.value).strip()
        elif self.bundle.id:
            b.case_id = str(self.bundle.id)
        patients = [(i, r) for i, r in self.entries if r.get_resource_type() == "Patient"]
        if len(patients) > 1:
            b.error(
                f"entry[{patients[1][0]}].resource",
                f"the Bundle holds {len(patients)} Patients; osteodx reads one case at a time",
                "put each patient in a Bundle of their own",
            )
            return
        ignored: dict[str, int] = {}
        for i, resource in self.entries:
            rtype = resource.get_resource_type()
            loc = f"entry[{i}].resource"
            if rtype == "Observation":
                self._observation(resource, loc)
            elif rtype == "Condition":
                self._condition(resource, loc)
            elif rtype == "MedicationStatement":
                self._medication(resource, loc)
            elif rtype == "DiagnosticReport":
                self._report(resource, loc)
            elif rtype not in _SUPPORTING and rtype != "Patient":
                ignored.setdefault(rtype, i)
        for rtype, i in ignored.items():
            b.warn(
                f"entry[{i}].resource",
                f"{rtype} resources are not read by osteodx; ignored",
                "give findings as Observations or Conditions, treatments as MedicationStatements",
            )
        if patients:
            self._patient(patients[0][1], f"entry[{patients[0][0]}].resource")
        else:
            b.warn(
                "entry",
                "the Bundle has no Patient: sex and age are unknown",
                "add a Patient resource with gender and birthDate",
            )
        if self.texts:
            b.description = " ".join(self.texts)
        if self.pathology:
            from osteodx.case._sections import read_fhir_pathology

            read_fhir_pathology(b, self.pathology, " ".join(self.texts), self.pathology_loc)

    # --- Patient --------------------------------------------------------------------------
    def _patient(self, patient: Any, loc: str) -> None:
        b = self.b
        if not b.case_id and patient.id:
            b.case_id = str(patient.id)
        if patient.gender is not None:
            gender = str(patient.gender).strip().lower()
            if gender in ("other", "unknown"):
                b.sex = Sex.UNKNOWN
            else:
                b.set_sex(gender, f"{loc}.gender")
        if patient.birthDate is None or b.age_years is not None:
            return
        birth = _as_date(patient.birthDate)
        if birth is None:
            b.error(f"{loc}.birthDate", "not a date", "write it as YYYY-MM-DD")
            return
        when, where = self._reference_date()
        if when is None:
            b.warn(
                f"{loc}.birthDate",
                "the age cannot be worked out: the Bundle has no timestamp and no dated "
                "Observation",
                "add Bundle.timestamp or Observation.effectiveDateTime",
            )
            return
        if when < birth:
            b.error(
                f"{loc}.birthDate",
                f"birth date {birth.isoformat()} is after {where} ({when.isoformat()})",
                "check the birth date and the dates of the observations",
            )
            return
        b.set_age(round(_age_in_years(birth, when), 4), f"{loc}.birthDate")

    def _reference_date(self) -> tuple[date | None, str]:
        dated = [
            d
            for _, r in self.entries
            if r.get_resource_type() in ("Observation", "DiagnosticReport")
            and not self._is_osteodx_output(r)
            for d in _effective_dates(r)
        ]
        if dated:
            return max(dated), "the latest observation"
        stamp = _as_date(self.bundle.timestamp)
        return stamp, "the Bundle's timestamp"

    # --- Observation ----------------------------------------------------------------------
    @staticmethod
    def _is_osteodx_output(resource: Any) -> bool:
        concept = getattr(resource, "code", None)
        for coding in (concept.coding or ()) if concept is not None else ():
            system = (coding.system or "").strip()
            if system in (OSTEODX_CONDITION_SYSTEM, OSTEODX_SECTION_SYSTEM):
                return True
            if system == OSTEODX_OBSERVATION_SYSTEM and coding.code == ASSESSMENT_CODE:
                return True
        return False

    def _observation(self, obs: Any, loc: str) -> None:
        b = self.b
        status = str(obs.status or "").strip()
        if status in ("entered-in-error", "cancelled"):
            b.warn(
                f"{loc}.status",
                f"an Observation with status {status!r} is not read",
                "nothing to do, unless the status is wrong",
            )
            return
        if self._is_osteodx_output(obs):
            return  # a differential written by osteodx: an output, not an input
        codes = _codings(obs.code, f"{loc}.code")
        present = _observation_presence(obs)
        for code in codes:
            if code.system == OSTEODX_OBSERVATION_SYSTEM and code.code == AGE_CODE:
                self._age_observation(obs, loc)
                return
        for code in codes:
            hpo = _hpo_id(code)
            if hpo:
                b.add_term(hpo, present, f"{code.loc}.code", evidence=self._evidence(obs))
                self._notes(obs, loc)
                return
            if code.system == OSTEODX_FINDING_SYSTEM and _LOCAL_CODE.match(code.code):
                b.add_term(code.code, present, f"{code.loc}.code", evidence=self._evidence(obs))
                self._notes(obs, loc)
                return
        loinc_codes = [c for c in codes if _is_system(c, LOINC_SYSTEM) and c.code]
        if self._pathology_observation(obs, codes, loc):
            return
        for code in loinc_codes:
            lab = b.ctx.labs.by_loinc(code.code)
            if lab is not None:
                self._lab(obs, lab, code, loc)
                self._notes(obs, loc)
                return
        if self._value_terms(obs, loc):
            self._notes(obs, loc)
            return
        for code in codes:
            if _is_system(code, SNOMED_SYSTEM) and code.code in snomed_map():
                mapped = snomed_map()[code.code]
                b.add_term(mapped.finding.id, present, f"{code.loc}.code")
                self._notes(obs, loc)
                return
        has_number = obs.valueQuantity is not None and obs.valueQuantity.value is not None
        if loinc_codes and (has_number or obs.valueString is None):
            code = loinc_codes[0]
            b.unknown_code(
                f"{code.loc}.code",
                f"LOINC {code.code} ({code.display or 'no display'}) is not a laboratory test "
                "osteodx knows",
                "use a supported LOINC code (`osteodx labs` lists them), code the finding in "
                "HPO, or remove the Observation",
            )
            return
        text = _text_of(obs.code)
        value_text = obs.valueString or _text_of(obs.valueCodeableConcept)
        if not text and not value_text:
            b.warn(
                f"{loc}.code",
                "an Observation with neither a known code nor text; ignored",
                "code the finding in HPO (http://purl.obolibrary.org/obo/hp.owl) or give code.text",
            )
            self._notes(obs, loc)
            return
        sentence = f"{text}: {value_text}" if text and value_text else (text or value_text)
        if not present:
            sentence = f"No {sentence}"
        b.add_text(_phrase(sentence), f"{loc}.code")
        b.warn(
            f"{loc}.code",
            f"not coded in HPO, a known LOINC test or a mapped SNOMED CT concept; read as text "
            f"{sentence!r}",
            "code the finding in HPO for an exact reading",
        )
        self._notes(obs, loc)

    def _pathology_observation(self, obs: Any, codes: list[_Code], loc: str) -> bool:
        """Ki-67 (LOINC 29593-1, %) and IHC results named by a known marker, for the report."""
        if any(_is_system(c, LOINC_SYSTEM) and c.code == KI67_LOINC for c in codes):
            value = _number(obs.valueQuantity.value) if obs.valueQuantity is not None else None
            if value is None:
                self.b.error(
                    f"{loc}.valueQuantity",
                    "a Ki-67 Observation without a number",
                    "give the Ki-67 index as valueQuantity in % (UCUM '%')",
                )
                return True
            self.pathology["ki67"] = value
            self.pathology_loc = self.pathology_loc or loc
            return True
        names = [c.display or "" for c in codes] + [_text_of(obs.code)]
        from osteodx.nen import canonical_marker

        marker = next((n for n in names if n and canonical_marker(n) is not None), None)
        if marker is None:
            return False
        result = (obs.valueString or _text_of(obs.valueCodeableConcept) or "").strip().lower()
        words = {"positive": "pos", "pos": "pos", "negative": "neg", "neg": "neg", "focal": "focal"}
        status = words.get(result.split()[0]) if result else None
        if status is None:
            self.b.warn(
                f"{loc}.value",
                f"IHC result of {marker} not read (expected positive, negative or focal)",
                "give valueCodeableConcept.text or valueString as positive, negative or focal",
            )
            return True
        self.pathology.setdefault("markers", {})[marker] = status
        self.pathology_loc = self.pathology_loc or loc
        return True

    def _age_observation(self, obs: Any, loc: str) -> None:
        """The age osteodx itself writes when it knows no birth date (UCUM a, mo, wk or d)."""
        quantity = obs.valueQuantity
        value = _number(quantity.value) if quantity is not None else None
        unit = (_unit_of(quantity) or "a") if quantity is not None else "a"
        per_year = {"a": 1.0, "mo": 12.0, "wk": 52.1775, "d": 365.25}.get(unit)
        if value is None or per_year is None:
            self.b.error(
                f"{loc}.valueQuantity",
                "the age needs a number in UCUM a, mo, wk or d",
                f'write {{"value": 30, "unit": "years", "system": "{UCUM_SYSTEM}", "code": "a"}}',
            )
            return
        self.b.set_age(value / per_year, f"{loc}.valueQuantity.value")

    def _value_terms(self, obs: Any, loc: str) -> bool:
        """An Observation whose value (not code) is the HPO or mapped SNOMED finding."""
        concept = obs.valueCodeableConcept
        found = False
        for code in _codings(concept, f"{loc}.valueCodeableConcept"):
            hpo = _hpo_id(code)
            if hpo:
                self.b.add_term(hpo, True, f"{code.loc}.code")
                found = True
            elif _is_system(code, SNOMED_SYSTEM) and code.code in snomed_map():
                self.b.add_term(snomed_map()[code.code].finding.id, True, f"{code.loc}.code")
                found = True
        return found

    def _evidence(self, obs: Any) -> str:
        notes = [n.text for n in obs.note or () if n.text]
        return " ".join(notes)[:500]

    def _notes(self, resource: Any, loc: str) -> None:
        for k, note in enumerate(resource.note or ()):
            if note.text and note.text.strip():
                self.b.add_text(note.text, f"{loc}.note[{k}].text")

    def _lab(self, obs: Any, lab: Any, code: _Code, loc: str) -> None:
        b = self.b
        quantity = obs.valueQuantity
        if quantity is None:
            if obs.valueString:
                try:
                    value, unit = parse_value_with_unit(obs.valueString)
                except UnitError as exc:
                    b.error(f"{loc}.valueString", str(exc), "give valueQuantity with a UCUM unit")
                    return
                b.add_lab(lab, value, unit, f"{loc}.valueString", loinc=f"LOINC:{code.code}")
                return
            if obs.dataAbsentReason is not None:
                b.warn(
                    f"{loc}.dataAbsentReason",
                    f"{lab.name} has no value ({_text_of(obs.dataAbsentReason) or 'absent'})",
                    "give the value once it is known",
                )
                return
            b.error(
                f"{loc}.valueQuantity",
                f"{lab.name} has no value",
                f'give "valueQuantity": {{"value": ..., "unit": "{lab.unit}", '
                f'"system": "{UCUM_SYSTEM}", "code": "{lab.unit}"}}',
            )
            return
        unit = _unit_of(quantity)
        number = _number(quantity.value)
        if quantity.value is not None and (number is None or not math.isfinite(number)):
            b.error(
                f"{loc}.valueQuantity.value",
                f"{quantity.value} is not a finite number",
                "give the value as a plain number, e.g. 11.4",
            )
            return
        own_range = self._own_range(obs, unit, loc)
        b.add_lab(
            lab,
            number if number is not None else quantity.value,
            unit,
            f"{loc}.valueQuantity",
            loinc=f"LOINC:{code.code}",
            own_range=own_range,
        )

    def _own_range(
        self, obs: Any, unit: str | None, loc: str
    ) -> tuple[float | None, float | None] | None:
        for k, rng in enumerate(obs.referenceRange or ()):
            if rng.appliesTo or rng.age is not None:
                continue  # a range for another population: use osteodx's own
            bounds = [q for q in (rng.low, rng.high) if q is not None]
            units = {u.casefold() for q in bounds if (u := _unit_of(q))}
            if units and units != {(unit or "").casefold()}:
                self.b.warn(
                    f"{loc}.referenceRange[{k}]",
                    f"the range's unit {', '.join(sorted(units))} differs from the "
                    f"value's {unit!r}; osteodx's own range is used",
                    "give the range in the value's unit",
                )
                return None
            low = _number(rng.low.value) if rng.low is not None else None
            high = _number(rng.high.value) if rng.high is not None else None
            if low is not None or high is not None:
                return (low, high)
        return None

    # --- Condition ------------------------------------------------------------------------
    def _condition(self, condition: Any, loc: str) -> None:
        b = self.b
        status_codes = {(c.code or "").strip() for c in _codings(condition.verificationStatus, loc)}
        if "entered-in-error" in status_codes:
            return
        if status_codes & {"unconfirmed", "provisional", "differential"}:
            b.warn(
                f"{loc}.verificationStatus",
                "an unconfirmed Condition is not counted as history",
                "confirm it (verificationStatus confirmed) once established",
            )
            return
        present = "refuted" not in status_codes
        codes = _codings(condition.code, f"{loc}.code")
        for code in codes:
            hpo = _hpo_id(code)
            if hpo:
                b.add_term(hpo, present, f"{code.loc}.code", origin="history")
                self._notes(condition, loc)
                return
            if code.system == OSTEODX_FINDING_SYSTEM and _LOCAL_CODE.match(code.code):
                b.add_term(code.code, present, f"{code.loc}.code", origin="history")
                self._notes(condition, loc)
                return
        for code in codes:
            if _is_system(code, SNOMED_SYSTEM) and code.code in snomed_map():
                finding = snomed_map()[code.code].finding.id
                b.add_term(finding, present, f"{code.loc}.code", origin="history")
                self._notes(condition, loc)
                return
        text = _text_of(condition.code)
        if text:
            b.add_text(_phrase(("" if present else "No ") + text), f"{loc}.code")
        elif not condition.note:
            b.warn(
                f"{loc}.code",
                "a Condition without a code or text; ignored",
                "give code.text or an HPO or SNOMED CT coding",
            )
        self._notes(condition, loc)

    # --- MedicationStatement --------------------------------------------------------------
    def _medication(self, statement: Any, loc: str) -> None:
        b = self.b
        status = str(statement.status or "").strip()
        if status == "entered-in-error":
            return
        if status == "intended":
            b.warn(
                f"{loc}.status",
                "an intended medication is not an exposure; not counted",
                "use status active or completed once it is taken",
            )
            return
        name = _text_of(statement.medicationCodeableConcept)
        where = f"{loc}.medicationCodeableConcept"
        if not name and statement.medicationReference is not None:
            where = f"{loc}.medicationReference"
            reference = statement.medicationReference
            target = self.by_reference.get(str(reference.reference or ""))
            if target is not None and target.get_resource_type() == "Medication":
                name = _text_of(target.code)
            name = name or str(reference.display or "").strip()
        if not name:
            b.warn(
                where,
                "the medication has no name osteodx can read; ignored",
                "give medicationCodeableConcept.text (e.g. voriconazole)",
            )
            return
        prefix = "No " if status == "not-taken" else ""
        b.add_text(_phrase(prefix + name), where)
        self._notes(statement, loc)

    # --- DiagnosticReport -----------------------------------------------------------------
    def _report(self, report: Any, loc: str) -> None:
        if self._is_osteodx_output(report):
            return
        if report.conclusion and report.conclusion.strip():
            self.b.add_text(report.conclusion, f"{loc}.conclusion")
            self.texts.append(report.conclusion.strip())
        for k, concept in enumerate(report.conclusionCode or ()):
            for code in _codings(concept, f"{loc}.conclusionCode[{k}]"):
                hpo = _hpo_id(code)
                if hpo:
                    self.b.add_term(hpo, True, f"{code.loc}.code")
                elif _is_system(code, SNOMED_SYSTEM) and code.code in snomed_map():
                    self.b.add_term(snomed_map()[code.code].finding.id, True, f"{code.loc}.code")
