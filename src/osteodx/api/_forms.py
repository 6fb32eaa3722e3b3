"""The web case form: its fields, their conversion to a case-form document, and error placement.

Besides the patient, findings, labs and history, the form has two optional sections, both
generated from the project's data: pathology (site, differentiation, Ki-67, mitoses, necrosis and
one select per IHC marker) becomes the case form's ``pathology:`` mapping, read by
:func:`osteodx.nen.pathology_from_mapping`; the bone scores (one fieldset per declared score, a
select or number per item) and a few treatment-context fields become the ``bone:`` mapping
(``{score: {item: value}}`` and ``TreatmentContext`` fields). Both sections are checked here with
the engines' own readers, so that an error appears next to the field it concerns.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from osteodx.bone import (
    BoneInputError,
    accepted_values,
    compute_score,
    context_fields,
    list_scores,
    treatment_context_from_mapping,
)
from osteodx.nen import NenInputError, canonical_marker, pathology_from_mapping

__all__ = [
    "FORM_FIELDS",
    "FormField",
    "FormSections",
    "ScoreSection",
    "WebForm",
    "errors_by_field",
    "form_sections",
]

FORM_FIELDS = (
    "case_id",
    "age",
    "sex",
    "findings",
    "excluded",
    "labs",
    "exposures",
    "history",
    "notes",
)

# Web-form field names of the pathology section -> keys of the case form's pathology mapping.
PATHOLOGY_FIELDS = {
    "path_site": "site",
    "path_differentiation": "differentiation",
    "path_ki67": "ki67",
    "path_mitoses": "mitoses",
    "path_necrosis": "necrosis",
}
_NUMERIC_PATHOLOGY = {"path_ki67": "Ki-67 index", "path_mitoses": "mitotic count"}
_PATHOLOGY_ALIASES = {
    "ki67_percent": "path_ki67",
    "mitoses_per_2mm2": "path_mitoses",
    **{v: k for k, v in PATHOLOGY_FIELDS.items()},
}
MARKER_PREFIX = "ihc_"
SCORE_PREFIX = "score_"
CONTEXT_PREFIX = "ctx_"
# The treatment-context fields the form offers (the rest come from the assessment or the API).
CONTEXT_FIELDS = ("sstr_krenning", "progression", "ecog", "egfr_ml_min")
MARKER_RESULTS = (
    ("pos", "positive"),
    ("neg", "negative"),
    ("focal", "focal"),
    ("not_done", "not done"),
)


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of a generated section: a select (``options``) or a text input (none)."""

    name: str
    label: str
    help: str = ""
    options: tuple[tuple[str, str], ...] = ()
    inputmode: str = "text"


@dataclass(frozen=True, slots=True)
class ScoreSection:
    id: str
    name: str
    purpose: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True, slots=True)
class FormSections:
    pathology: tuple[FormField, ...]
    markers: tuple[FormField, ...]
    scores: tuple[ScoreSection, ...]
    context: tuple[FormField, ...]

    def names(self) -> frozenset[str]:
        out = [f.name for f in (*self.pathology, *self.markers, *self.context)]
        out += [f.name for s in self.scores for f in s.fields]
        return frozenset(out)


def _score_field(score: str, item: str) -> str:
    return f"{SCORE_PREFIX}{score}__{item}"


@functools.cache
def form_sections() -> FormSections:
    """The generated optional sections (built once from the NEN and bone data)."""
    from osteodx.nen._load import grading, site_markers

    sites = tuple((s.id, s.label) for s in grading().sites)
    pathology = (
        FormField(
            "path_site",
            "Primary site",
            "Where the neoplasm arose, if known; 'unknown primary' for a metastasis of "
            "unknown origin.",
            (("", "not given"), *sites),
        ),
        FormField(
            "path_differentiation",
            "Differentiation",
            "The pathologist's call: well differentiated (NET) or poorly differentiated (NEC).",
            (("", "not given"), ("well", "well differentiated"), ("poor", "poorly differentiated")),
        ),
        FormField(
            "path_ki67", "Ki-67 index (%)", "Percentage of tumour cells, 0-100.", (), "decimal"
        ),
        FormField(
            "path_mitoses", "Mitoses per 2 mm²", "Mitotic count per 2 mm², >= 0.", (), "decimal"
        ),
        FormField(
            "path_necrosis",
            "Necrosis",
            "",
            (("", "not given"), ("none", "none"), ("focal", "focal"), ("extensive", "extensive")),
        ),
    )
    data = site_markers()
    recognised = [(m.id, m.label) for m in data.recognised_markers]
    informative = [(m.id, m.label) for m in data.markers]
    options = (("", "not given"), *MARKER_RESULTS)
    markers = tuple(
        FormField(MARKER_PREFIX + marker_id, label[:1].upper() + label[1:], "", options)
        for marker_id, label in recognised + informative
    )
    scores = []
    for decl in list_scores():
        fields = []
        for item in decl.items:
            if item.kind == "choice":
                fields.append(
                    FormField(
                        _score_field(decl.id, item.name),
                        item.label,
                        item.help,
                        (
                            ("", "not given"),
                            *((c.value, f"{c.label} ({c.points})") for c in item.choices),
                        ),
                    )
                )
            else:
                fields.append(
                    FormField(
                        _score_field(decl.id, item.name),
                        item.label,
                        f"{item.help} Accepted: {accepted_values(item)[0]}.",
                        (),
                        "numeric",
                    )
                )
        scores.append(ScoreSection(decl.id, decl.name, decl.purpose, tuple(fields)))
    described = {f.name: f for f in context_fields()}
    context = []
    for name in CONTEXT_FIELDS:
        f = described[name]
        label = {
            "sstr_krenning": "SSTR uptake (Krenning score)",
            "progression": "Progression in the last 12 months",
            "ecog": "ECOG performance status",
            "egfr_ml_min": "eGFR (mL/min)",
        }[name]
        if name == "egfr_ml_min":
            context.append(FormField(CONTEXT_PREFIX + name, label, f.description, (), "decimal"))
            continue
        values = (
            ("yes", "no") if f.accepted == ("yes", "no") else tuple(str(v) for v in range(0, 5))
        )
        context.append(
            FormField(
                CONTEXT_PREFIX + name,
                label,
                f.description,
                (("", "not given"), *((v, v) for v in values)),
            )
        )
    return FormSections(pathology, markers, tuple(scores), tuple(context))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(";", "\n").splitlines() if line.strip()]


_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*%?\s*$")


def _number(text: str) -> float | None:
    m = _NUMBER.match(text)
    return float(m.group(1).replace(",", ".")) if m else None


@dataclass(frozen=True, slots=True)
class WebForm:
    """What the user typed, kept as typed so the page can show it again after an error."""

    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def has_any(self, prefix: str) -> bool:
        return any(k.startswith(prefix) and v.strip() for k, v in self.values.items())

    def opens(self, errors: dict[str, str], *prefixes: str) -> bool:
        """Whether an optional section is shown open: something entered, or an error in it."""
        return any(self.has_any(p) for p in prefixes) or any(k.startswith(prefixes) for k in errors)

    def to_document(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The case-form document, and errors found before reading it (field -> message)."""
        errors: dict[str, str] = {}
        doc: dict[str, Any] = {"id": self.get("case_id").strip() or "web-case"}
        if self.get("age").strip():
            doc["age"] = self.get("age").strip()
        if self.get("sex").strip():
            doc["sex"] = self.get("sex").strip()
        for name in ("findings", "excluded", "exposures", "history"):
            items = _lines(self.get(name))
            if items:
                doc[name] = items
        labs: dict[str, str] = {}
        for line in _lines(self.get("labs")):
            name, sep, value = line.partition(":")
            if not sep or not name.strip() or not value.strip():
                errors["labs"] = (
                    f"'{line}' is not 'name: value unit'; write e.g. "
                    "'alkaline phosphatase: 350 U/L'"
                )
                continue
            labs[name.strip()] = value.strip()
        if labs:
            doc["labs"] = labs
        if self.get("notes").strip():
            doc["notes"] = self.get("notes")
        pathology = self.pathology(errors)
        if pathology:
            doc["pathology"] = pathology
        bone = self.bone(errors)
        if bone:
            doc["bone"] = bone
        return doc, errors

    def pathology(self, errors: dict[str, str]) -> dict[str, Any]:
        """The ``pathology:`` mapping (empty when the section was left blank)."""
        out: dict[str, Any] = {}
        for name, key in PATHOLOGY_FIELDS.items():
            text = self.get(name).strip()
            if not text:
                continue
            if name in _NUMERIC_PATHOLOGY:
                number = _number(text)
                if number is None:
                    errors[name] = (
                        f"'{text}' is not a number; give the {_NUMERIC_PATHOLOGY[name]} as a "
                        "number, e.g. 10"
                    )
                    continue
                out[key] = number
            else:
                out[key] = text
        markers = {
            k[len(MARKER_PREFIX) :]: v.strip()
            for k, v in self.values.items()
            if k.startswith(MARKER_PREFIX) and v.strip()
        }
        if markers:
            out["markers"] = markers
        if out and not any(k in errors for k in PATHOLOGY_FIELDS):
            try:
                pathology_from_mapping(out)
            except NenInputError as exc:
                errors[_pathology_field(exc.field)] = f"{exc.message}; {exc.fix}"
        return out

    def bone(self, errors: dict[str, str]) -> dict[str, Any]:
        """The ``bone:`` mapping: ``{score: {item: value}}`` and treatment-context fields."""
        out: dict[str, Any] = {}
        for k, v in self.values.items():
            if not k.startswith(SCORE_PREFIX) or not v.strip():
                continue
            score, _, item = k[len(SCORE_PREFIX) :].partition("__")
            out.setdefault(score, {})[item] = v.strip()
        for score, values in list(out.items()):
            try:
                compute_score(score, values)
            except BoneInputError as exc:
                errors[_bone_field(exc.field, score)] = f"{exc.message}; {exc.fix}"
        context = {
            k[len(CONTEXT_PREFIX) :]: v.strip()
            for k, v in self.values.items()
            if k.startswith(CONTEXT_PREFIX) and v.strip()
        }
        if context:
            try:
                treatment_context_from_mapping(context)
            except BoneInputError as exc:
                errors[CONTEXT_PREFIX + exc.field] = f"{exc.message}; {exc.fix}"
            out.update(context)
        return out


def _pathology_field(loc: str) -> str:
    """``pathology.ki67`` -> path_ki67; ``pathology.markers.TTF1`` -> ihc_ttf1."""
    parts = loc.split(".")
    if parts and parts[0] == "pathology":
        parts = parts[1:]
    if not parts:
        return "path_site"
    if parts[0] in ("markers", "ihc") and len(parts) > 1:
        marker = canonical_marker(".".join(parts[1:]))
        return MARKER_PREFIX + (marker or parts[1])
    return _PATHOLOGY_ALIASES.get(parts[0], "path_site")


def _bone_field(loc: str, score: str | None = None) -> str:
    """``mirels.size`` / ``bone.mirels.size`` -> score_mirels__size; ``bone.ecog`` -> ctx_ecog."""
    parts = loc.split(".")
    if parts and parts[0] == "bone":
        parts = parts[1:]
    if not parts:
        return "case_id"
    head = parts[0]
    if head in {d.id for d in list_scores()}:
        if len(parts) > 1:
            return _score_field(head, parts[1])
        first = next(d for d in list_scores() if d.id == head).items[0].name
        return _score_field(head, first)
    if head == "score" and score in {d.id for d in list_scores()}:
        first = next(d for d in list_scores() if d.id == score).items[0].name
        return _score_field(score, first)
    return CONTEXT_PREFIX + head


def errors_by_field(issues: list[tuple[str, str]]) -> dict[str, str]:
    """Map case-form issue locations (``findings[2]``, ``labs.calcium.unit``,
    ``pathology.ki67``, ``bone.sins.pain``) to form fields."""
    known = form_sections().names()
    out: dict[str, str] = {}
    for loc, message in issues:
        head = loc.split("[")[0].split(".")[0]
        if head == "pathology":
            name = _pathology_field(loc)
        elif head == "bone":
            name = _bone_field(loc)
        else:
            name = "case_id" if head == "id" else head
        if name not in FORM_FIELDS and name not in known:
            name = "case_id"
        out[name] = (out[name] + " " if name in out else "") + message
    return out
