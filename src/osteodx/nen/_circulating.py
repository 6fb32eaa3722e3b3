"""Circulating markers (chromogranin A, NSE, 5-HIAA) interpreted with caveats and sources."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from osteodx.nen._classify import NenClassification, NenWarning, SourcedText
from osteodx.nen._errors import NenInputError, choice_error
from osteodx.nen._inputs import _Input, input_error
from osteodx.nen._load import circulating, name_key
from osteodx.nen._schema import CirculatingMarker, Confounder

__all__ = [
    "CirculatingResult",
    "ConfounderHit",
    "MarkerInterpretation",
    "accepted_factors",
    "interpret_markers",
]

Status = Literal["raised", "normal", "equivocal", "unknown"]


@functools.cache
def _marker_index() -> dict[str, CirculatingMarker]:
    index: dict[str, CirculatingMarker] = {}
    for m in circulating().markers:
        for name in (m.id, *m.aliases):
            index[name_key(name)] = m
    return index


@functools.cache
def _factor_index() -> dict[str, Confounder]:
    index: dict[str, Confounder] = {}
    for c in circulating().confounders:
        for name in (c.id, *c.aliases):
            index[name_key(name)] = c
    return index


def accepted_factors() -> tuple[str, ...]:
    """Ids of the confounders (drugs, conditions, foods, sampling problems) understood."""
    return tuple(c.id for c in circulating().confounders)


class CirculatingResult(_Input):
    """One circulating marker result: a value with the laboratory's upper limit, or raised/normal.

    ``marker``: chromogranin_a (CgA), nse or 5hiaa (synonyms accepted). ``unit`` is kept as
    typed; for 24-h urinary 5-HIAA in mg/24h without a laboratory range the typical bands are
    used.
    """

    marker: str
    value: float | None = Field(default=None, ge=0)
    unit: str | None = None
    upper_limit: float | None = Field(default=None, gt=0)
    elevated: bool | None = None

    @field_validator("marker", mode="before")
    @classmethod
    def _marker(cls, value: object) -> str:
        m = _marker_index().get(name_key(str(value)))
        if m is None:
            raise choice_error(
                "marker", value, tuple(x.id for x in circulating().markers), "circulating marker"
            )
        return m.id


class ConfounderHit(BaseModel):
    """A recorded factor that can move this marker, and whether it matters for this result."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    label: str
    effect: Literal["raises", "lowers"]
    relevant: bool
    source: str | None
    advice: str | None = None
    note: str | None = None


class MarkerInterpretation(BaseModel):
    """One circulating marker: status, what it means, confounders, caveats and sources."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    marker: str
    label: str
    status: Status
    value: float | None
    unit: str | None
    upper_limit: float | None
    times_upper_limit: float | None
    status_basis: str
    meaning: str
    confounders: tuple[ConfounderHit, ...]
    caveats: tuple[SourcedText, ...]
    performance: tuple[SourcedText, ...]
    advice: tuple[SourcedText, ...]
    warnings: tuple[NenWarning, ...] = ()


def _status(r: CirculatingResult, m: CirculatingMarker) -> tuple[Status, str, float | None]:
    ratio = r.value / r.upper_limit if r.value is not None and r.upper_limit else None
    if r.value is not None and r.upper_limit is not None:
        status: Status = "raised" if r.value > r.upper_limit else "normal"
        if r.elevated is not None and (r.elevated != (status == "raised")):
            return (
                status,
                "value compared with the laboratory's upper limit (overrides the reported flag)",
                ratio,
            )
        return status, "value compared with the laboratory's upper limit", ratio
    if r.elevated is not None:
        return ("raised" if r.elevated else "normal"), "as reported (raised/normal)", ratio
    bands = m.urine_bands_mg_per_24h
    unit = name_key(r.unit or "")
    if bands is not None and r.value is not None and unit in ("mg24h", "mgday", "mgd", "mg24hr"):
        if r.value <= bands.normal_max:
            return (
                "normal",
                f"typical reference range (<= {bands.normal_max:g} mg/24 h; {bands.note})",
                None,
            )
        if r.value <= bands.equivocal_max:
            return "equivocal", f"typical equivocal range ({bands.note})", None
        return "raised", f"above {bands.equivocal_max:g} mg/24 h ({bands.note})", None
    return (
        "unknown",
        "no upper limit given: give the laboratory's reference range (or raised/normal)",
        ratio,
    )


def interpret_markers(
    results: Iterable[CirculatingResult | Mapping[str, Any]],
    factors: Iterable[str] = (),
    *,
    classification: NenClassification | None = None,
) -> tuple[MarkerInterpretation, ...]:
    """Interpret chromogranin A, NSE and 5-HIAA results with their confounders and caveats.

    ``factors`` are drugs, conditions, foods or sampling problems (ids or aliases: ppi,
    renal_failure, atrophic_gastritis, haemolysis, banana, paracetamol ...); unknown names
    raise :class:`NenInputError` listing the accepted ids.

    >>> cga = interpret_markers([{"marker": "CgA", "value": 250, "upper_limit": 100}], ["ppi"])[0]
    >>> cga.status, [c.id for c in cga.confounders if c.relevant]
    ('raised', ['ppi'])
    """
    hits: list[Confounder] = []
    for i, f in enumerate(factors):
        c = _factor_index().get(name_key(f))
        if c is None:
            raise choice_error(f"factors[{i}]", f, accepted_factors(), "confounder")
        if c not in hits:
            hits.append(c)
    out: list[MarkerInterpretation] = []
    for i, raw in enumerate(results):
        try:
            r = raw if isinstance(raw, CirculatingResult) else CirculatingResult.model_validate(raw)
        except ValidationError as exc:
            raise input_error(exc, f"results[{i}]") from None
        except NenInputError as exc:  # pragma: no cover - raised through model_validate
            raise exc
        m = _marker_index()[name_key(r.marker)]
        status, basis, ratio = _status(r, m)
        confounders = tuple(
            ConfounderHit(
                id=c.id,
                label=c.label,
                effect=c.effect,
                relevant=(c.effect == "raises" and status in ("raised", "equivocal"))
                or (c.effect == "lowers" and status in ("normal", "equivocal")),
                source=c.source,
                advice=c.advice,
                note=c.note,
            )
            for c in hits
            if m.id in c.applies_to
        )
        relevant = [c for c in confounders if c.relevant]
        if status in ("raised", "equivocal"):
            meaning = m.if_raised
        elif status == "normal":
            meaning = m.if_normal
        else:
            meaning = "cannot be interpreted without the laboratory's reference range"
        if relevant:
            direction = "falsely raised" if status != "normal" else "falsely low"
            meaning = f"possibly {direction} by {', '.join(c.label for c in relevant)}; " + meaning
        advice = tuple(SourcedText(text=c.advice, source=c.source) for c in relevant if c.advice)
        warnings: list[NenWarning] = []
        if (
            classification is not None
            and classification.is_nec
            and m.id == "chromogranin_a"
            and status == "normal"
        ):
            warnings.append(
                NenWarning(
                    code="cga_normal_in_nec",
                    message="A normal CgA is common in NEC "
                    "(CgA IHC positive in only 66 % of NECs).",
                    source="DOI:10.1016/j.mce.2023.112106; PMC7141760",
                )
            )
        out.append(
            MarkerInterpretation(
                marker=m.id,
                label=m.label,
                status=status,
                value=r.value,
                unit=r.unit,
                upper_limit=r.upper_limit,
                times_upper_limit=ratio,
                status_basis=basis,
                meaning=meaning,
                confounders=confounders,
                caveats=tuple(
                    SourcedText(text=c.text, source=c.source, unverified=c.unverified)
                    for c in m.caveats
                ),
                performance=tuple(
                    SourcedText(text=c.text, source=c.source, unverified=c.unverified)
                    for c in m.performance
                ),
                advice=advice,
                warnings=tuple(warnings),
            )
        )
    return tuple(out)
