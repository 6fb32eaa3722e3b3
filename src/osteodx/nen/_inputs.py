"""Frozen input models of the NEN engines; bad values raise :class:`NenInputError`.

``pathology_from_mapping`` reads the pathology section of a case form (or a dict built from a
phenopacket's biosample) and names the offending key in the user's document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from osteodx.nen._errors import NenInputError
from osteodx.nen._vocab import (
    MarkerStatus,
    canonical_marker,
    canonical_site,
    marker_status,
    require_marker,
)

__all__ = [
    "Component",
    "NenPathology",
    "input_error",
    "pathology_from_mapping",
]

Differentiation = Literal["well", "poor"]
Necrosis = Literal["none", "focal", "extensive"]
Morphology = Literal["small_cell", "large_cell"]
Specimen = Literal["resection", "biopsy", "cytology"]

_FIXES: dict[str, str] = {
    "ki67_percent": "give the Ki-67 index as a percentage between 0 and 100",
    "mitoses_per_2mm2": "give the mitotic count per 2 mm² as a number >= 0",
    "percent": "give the component's share of the tumour as a percentage between 0 and 100",
    "size_mm": "give the tumour size in mm as a number > 0",
}


def input_error(exc: ValidationError, prefix: str = "") -> NenInputError:
    """The first pydantic error as a :class:`NenInputError` with the field path and the fix."""
    first = exc.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
    ctx = first.get("ctx") or {}
    original = ctx.get("error")
    if isinstance(original, NenInputError):
        inner = original.field
        last = str(first["loc"][-1]) if first["loc"] else ""
        if inner:
            base = field
            if last and (inner == last or inner.startswith(last + ".")):
                base = field[: -len(last)].rstrip(".")
            field = f"{base}.{inner}" if base else inner
        return NenInputError(field, original.message, original.fix, original.accepted)
    kind = first["type"]
    value = first.get("input")
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        accepted = tuple(x.strip().strip("'") for x in expected.replace(" or ", ", ").split(","))
        return NenInputError(
            field, f"{value!r} is not accepted", f"use one of: {', '.join(accepted)}", accepted
        )
    if kind == "extra_forbidden":
        return NenInputError(field, "is not a known field", "remove it or check its spelling")
    leaf = str(first["loc"][-1]) if first["loc"] else field
    fix = _FIXES.get(leaf, "correct the value")
    return NenInputError(field, f"{value!r}: {first['msg'].lower()}", fix)


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise input_error(exc) from None


class Component(_Input):
    """One component of a mixed tumour (MiNEN, combined SCLC)."""

    kind: Literal["neuroendocrine", "non_neuroendocrine"]
    percent: float = Field(ge=0, le=100)
    histology: str | None = None
    differentiation: Differentiation | None = None
    morphology: Morphology | None = None
    ki67_percent: float | None = Field(default=None, ge=0, le=100)
    mitoses_per_2mm2: float | None = Field(default=None, ge=0)


class NenPathology(_Input):
    """What the pathologist reports about a NEN, as input to :func:`osteodx.nen.classify`.

    ``site`` is a site id or alias ('ileum', 'lung', 'unknown', 'other:kidney');
    ``markers`` maps marker names (synonyms accepted) to pos | neg | focal | not_done and is
    stored as sorted ``(marker_id, status)`` pairs; ``components`` describe a mixed tumour;
    ``diagnosis_term`` is the reported diagnosis when it is a renamed entity (e.g. 'goblet
    cell carcinoid').
    """

    site: str = "unknown"
    differentiation: Differentiation | None = None
    ki67_percent: float | None = Field(default=None, ge=0, le=100)
    mitoses_per_2mm2: float | None = Field(default=None, ge=0)
    necrosis: Necrosis | None = None
    markers: tuple[tuple[str, MarkerStatus], ...] = ()
    morphology: Morphology | None = None
    components: tuple[Component, ...] = ()
    size_mm: float | None = Field(default=None, gt=0)
    specimen: Specimen | None = None
    crush_artefact: bool = False
    diagnosis_term: str | None = None
    unrecognised_markers: tuple[str, ...] = ()

    @field_validator("site", mode="before")
    @classmethod
    def _site(cls, value: object) -> str:
        return canonical_site(str(value))

    @field_validator("markers", mode="before")
    @classmethod
    def _markers(cls, value: object) -> tuple[tuple[str, str], ...]:
        items: list[tuple[object, object]] = (
            list(value.items()) if isinstance(value, Mapping) else [(x[0], x[1]) for x in value]  # type: ignore[attr-defined]
        )
        out: dict[str, str] = {}
        for name, status in items:
            marker = require_marker(str(name))
            out[marker] = marker_status(status, f"markers.{name}", marker)
        return tuple(sorted(out.items()))

    @field_validator("components")
    @classmethod
    def _components(cls, value: tuple[Component, ...]) -> tuple[Component, ...]:
        total = sum(c.percent for c in value)
        if total > 100.5:
            raise NenInputError(
                "components",
                f"the component percentages add up to {total:g} %",
                "give each component's share so that they add up to at most 100 %",
            )
        return value

    def marker(self, marker_id: str) -> MarkerStatus | None:
        """The result of one marker (by id), or None if not reported."""
        for name, status in self.markers:
            if name == marker_id:
                return status
        return None


_KEYS: dict[str, str] = {
    "site": "site",
    "primary_site": "site",
    "differentiation": "differentiation",
    "ki67": "ki67_percent",
    "ki67_percent": "ki67_percent",
    "ki_67": "ki67_percent",
    "mitoses": "mitoses_per_2mm2",
    "mitoses_per_2mm2": "mitoses_per_2mm2",
    "mitotic_count": "mitoses_per_2mm2",
    "necrosis": "necrosis",
    "markers": "markers",
    "ihc": "markers",
    "morphology": "morphology",
    "cytology": "morphology",
    "components": "components",
    "size_mm": "size_mm",
    "specimen": "specimen",
    "crush_artefact": "crush_artefact",
    "crush_artifact": "crush_artefact",
    "diagnosis": "diagnosis_term",
    "diagnosis_term": "diagnosis_term",
    "histology": "diagnosis_term",
}

_WORDS: dict[str, dict[str, str]] = {
    "differentiation": {
        "well": "well",
        "well_differentiated": "well",
        "wd": "well",
        "poor": "poor",
        "poorly": "poor",
        "poorly_differentiated": "poor",
        "pd": "poor",
    },
    "necrosis": {
        "none": "none",
        "absent": "none",
        "no": "none",
        "focal": "focal",
        "punctate": "focal",
        "extensive": "extensive",
        "present": "focal",
    },
    "morphology": {
        "small_cell": "small_cell",
        "small": "small_cell",
        "large_cell": "large_cell",
        "large": "large_cell",
    },
}


def _word(field: str, value: object) -> object:
    if not isinstance(value, str) or field not in _WORDS:
        return value
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    return _WORDS[field].get(key, value)


def pathology_from_mapping(
    data: Mapping[str, Any], *, loc: str = "pathology", strict: bool = True
) -> NenPathology:
    """Read a pathology section (case form or biosample) into a :class:`NenPathology`.

    Keys: site, differentiation, ki67 (or ki67_percent), mitoses (per 2 mm²), necrosis,
    markers (or ihc: name -> pos/neg/focal/not_done), morphology, components, size_mm,
    specimen, crush_artefact, diagnosis. ``strict=False`` keeps unknown marker names in
    ``unrecognised_markers`` instead of failing. Errors name ``loc.key`` and the fix.
    """
    fields: dict[str, Any] = {}
    unrecognised: list[str] = []
    for key, value in data.items():
        target = _KEYS.get(str(key).strip().lower())
        if target is None:
            raise NenInputError(
                f"{loc}.{key}",
                "is not a pathology field",
                f"use one of: {', '.join(sorted(set(_KEYS)))}",
                tuple(sorted(set(_KEYS))),
            )
        if value is None:
            continue
        if target == "markers" and not strict:
            if not isinstance(value, Mapping):
                raise NenInputError(
                    f"{loc}.{key}", "must map marker names to results", "e.g. {TTF1: neg}"
                )
            kept = {}
            for name, status in value.items():
                if canonical_marker(str(name)) is None:
                    unrecognised.append(str(name))
                else:
                    kept[name] = status
            value = kept
        if target == "components" and isinstance(value, list | tuple):
            value = tuple(
                {k: _word(k, v) for k, v in c.items()} if isinstance(c, Mapping) else c
                for c in value
            )
        fields[target] = _word(target, value)
    if unrecognised:
        fields["unrecognised_markers"] = tuple(unrecognised)
    try:
        return NenPathology.model_validate(fields)
    except ValidationError as exc:
        raise input_error(exc, loc) from None
