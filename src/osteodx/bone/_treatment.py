"""Treatment options to discuss for a NEN with bone metastases, with computed eligibility.

Every option, indication (trial population), rule, trial and guideline lives in
``data/treatments.yaml`` with its source. ``treatment_options(ctx)`` evaluates each rule on the
``TreatmentContext`` and returns, per option, ``eligible``, ``not_eligible`` (with the rules not
met) or ``unknown`` (with the fields needed). It lists options to discuss; it never prescribes.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from osteodx.bone._errors import BoneInputError
from osteodx.bone._load import treatment_data
from osteodx.bone._schema import Criterion, Guideline, Note, Option, Trial

__all__ = [
    "ContextField",
    "CriterionResult",
    "IndicationResult",
    "OptionResult",
    "TreatmentContext",
    "TreatmentOptions",
    "context_fields",
    "treatment_context_from_assignments",
    "treatment_context_from_mapping",
    "treatment_options",
]

Status = Literal["eligible", "not_eligible", "unknown"]
CriterionStatus = Literal["met", "not_met", "unknown", "caution", "check"]
ContextValue = bool | int | float | str | tuple[str, ...] | None

PriorTherapy = Literal[
    "ssa",
    "everolimus",
    "sunitinib",
    "cabozantinib",
    "prrt",
    "temozolomide",
    "capecitabine",
    "dacarbazine",
    "fluorouracil",
    "platinum_etoposide",
    "other_systemic",
]
_PRIOR: tuple[str, ...] = get_args(PriorTherapy)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TreatmentContext(_Frozen):
    """What is known about the patient, as far as the options' rules need it.

    Every field is optional: ``None`` means not recorded (never 'normal' or 'no'); a rule that
    needs it makes the option ``unknown`` and names the field. Lab values use the case model's
    canonical units (g/dL, 10^9/L, mL/min); ``calcium`` is the interpretation against the lab's
    reference range.
    """

    family: Literal["NET", "NEC"] | None = Field(
        None,
        description="NET = well-differentiated neuroendocrine tumour (typical/atypical carcinoid "
        "included); NEC = poorly differentiated neuroendocrine carcinoma (SCLC, LCNEC included).",
    )
    grade: Literal["G1", "G2", "G3"] | None = Field(None, description="WHO grade of a NET.")
    ki67_percent: float | None = Field(None, ge=0, le=100, description="Ki-67 index in %.")
    primary_site: str | None = Field(
        None, description="Primary-site id (the ids of osteodx.nen); 'unknown' = unknown primary."
    )
    functioning: bool | None = Field(
        None, description="A hormonal syndrome (e.g. carcinoid syndrome) is present."
    )
    sstr_krenning: int | None = Field(
        None,
        ge=0,
        le=4,
        description="Uptake on SSTR imaging, Krenning score 0-4 (0 none, 1 below liver, 2 about "
        "liver, 3 above liver, 4 above spleen/kidneys).",
    )
    sstr_all_lesions_positive: bool | None = Field(
        None, description="Every known lesion takes up on SSTR imaging (no SSTR-negative lesion)."
    )
    progression: bool | None = Field(
        None, description="Radiological progression within the last 12 months."
    )
    newly_diagnosed: bool | None = Field(
        None, description="Advanced disease diagnosed within the last 6 months (first line)."
    )
    prior_therapies: tuple[PriorTherapy, ...] | None = Field(
        None, description="Systemic therapies already given (empty = none)."
    )
    bone_metastases: bool | None = Field(None, description="Bone metastases are present.")
    bone_pain: bool | None = Field(None, description="Pain from bone metastases.")
    spinal_cord_compression: bool | None = Field(
        None, description="Metastatic spinal cord compression (or imminent neurological risk)."
    )
    mirels_total: int | None = Field(
        None, ge=4, le=12, description="Mirels total of the worst long-bone lesion."
    )
    sins_total: int | None = Field(
        None, ge=0, le=18, description="SINS total of the worst spinal level."
    )
    egfr_ml_min: float | None = Field(
        None, ge=0, description="eGFR or creatinine clearance in mL/min."
    )
    calcium: Literal["low", "normal", "high"] | None = Field(
        None, description="Serum calcium (albumin-corrected) against the lab's reference range."
    )
    haemoglobin_g_dl: float | None = Field(None, ge=0, description="Haemoglobin in g/dL.")
    leukocytes_10e9_l: float | None = Field(None, ge=0, description="Leucocytes in 10^9/L.")
    platelets_10e9_l: float | None = Field(None, ge=0, description="Platelets in 10^9/L.")
    ecog: int | None = Field(None, ge=0, le=4, description="ECOG performance status 0-4.")
    marrow_radiotherapy_over_25_percent: bool | None = Field(
        None,
        description="External-beam radiotherapy already given to more than 25 % of the marrow.",
    )
    dental_check_done: bool | None = Field(
        None, description="A dental examination was done before antiresorptive therapy."
    )

    @field_validator("primary_site")
    @classmethod
    def _known_site(cls, value: str | None) -> str | None:
        if value is None:
            return None
        key = value.strip().lower().replace(" ", "_").replace("-", "_")
        if key not in _site_groups():
            raise ValueError(
                f"{value!r} is not a known site; use one of: {', '.join(_site_groups())}"
            )
        return key


@functools.cache
def _site_groups() -> dict[str, frozenset[str]]:
    return {s.id: frozenset(s.groups) for s in treatment_data().sites}


# --- results -----------------------------------------------------------------------------------


class CriterionResult(_Frozen):
    """One rule judged on the context: ``met``, ``not_met`` (a requirement fails), ``caution``
    (a caution rule fails), ``unknown`` (cannot be judged: field missing or undetermined value)
    or ``check`` (a caution rule whose field is missing: a check to do)."""

    id: str
    field: str
    text: str
    status: CriterionStatus
    effect: Literal["require", "caution"]
    value: ContextValue
    caution: str | None
    source: str | None
    estimate: bool
    unverified: bool


class IndicationResult(_Frozen):
    """An indication (usually one trial's population) judged on the context."""

    id: str
    name: str
    status: Status
    trial: Trial | None
    criteria: tuple[CriterionResult, ...]
    because: tuple[CriterionResult, ...]
    needs: tuple[str, ...]
    cautions: tuple[CriterionResult, ...]
    checks: tuple[CriterionResult, ...]


class OptionResult(_Frozen):
    """An option to discuss, its eligibility and its evidence.

    ``because`` lists the rules not met (when ``not_eligible``), ``needs`` the context fields
    that would decide it (when ``unknown``), ``cautions`` and ``checks`` what to weigh or verify
    in the indications still open (empty when ``not_eligible``). ``indications`` keeps the
    verdict of every trial population with its own reasons.
    """

    id: str
    name: str
    kind: Literal["systemic", "bone", "supportive"]
    summary: str
    status: Status
    because: tuple[CriterionResult, ...]
    needs: tuple[str, ...]
    cautions: tuple[CriterionResult, ...]
    checks: tuple[CriterionResult, ...]
    indications: tuple[IndicationResult, ...]
    key_trials: tuple[Trial, ...]
    evidence: tuple[Note, ...]
    guideline: tuple[Guideline, ...]
    notes: tuple[Note, ...]


class TreatmentOptions(_Frozen):
    """Every option with its eligibility. Options to discuss; never a prescription."""

    disclaimer: str
    prescribes: Literal[False] = False
    context: TreatmentContext
    options: tuple[OptionResult, ...]

    def option(self, option_id: str) -> OptionResult:
        for opt in self.options:
            if opt.id == option_id:
                return opt
        raise KeyError(option_id)


# --- evaluation --------------------------------------------------------------------------------


def _judge(rule: Criterion, ctx: TreatmentContext) -> CriterionResult:
    value: Any = getattr(ctx, rule.field)
    if value is None:
        status: CriterionStatus = (
            "unknown" if rule.if_missing == "unknown" or rule.effect == "require" else "check"
        )
    elif isinstance(value, str) and value in rule.undetermined:
        status = "unknown"
    else:
        met = _test(rule, value)
        status = "met" if met else ("not_met" if rule.effect == "require" else "caution")
    return CriterionResult(
        id=rule.id,
        field=rule.field,
        text=rule.text,
        status=status,
        effect=rule.effect,
        value=value,
        caution=rule.caution,
        source=rule.source,
        estimate=rule.estimate,
        unverified=rule.unverified,
    )


def _test(rule: Criterion, value: Any) -> bool:
    if rule.one_of is not None:
        return str(value) in rule.one_of
    if rule.site_groups is not None:
        return bool(_site_groups().get(str(value), frozenset()) & set(rule.site_groups))
    if rule.equals is not None:
        return bool(value) is rule.equals
    if rule.any_of is not None:
        return bool(set(value) & set(rule.any_of))
    if rule.none_of is not None:
        return not set(value) & set(rule.none_of)
    number = float(value)
    return (
        (rule.ge is None or number >= rule.ge)
        and (rule.gt is None or number > rule.gt)
        and (rule.le is None or number <= rule.le)
        and (rule.lt is None or number < rule.lt)
    )


def _dedupe(results: list[CriterionResult]) -> tuple[CriterionResult, ...]:
    seen: set[tuple[str, str]] = set()
    out: list[CriterionResult] = []
    for r in results:
        key = (r.id, r.field)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return tuple(out)


def _fields(results: list[CriterionResult]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.field for r in results))


def _indication(option: Option, index: int, ctx: TreatmentContext) -> IndicationResult:
    ind = option.indications[index]
    trials = {t.id: t for t in treatment_data().trials}
    judged = [_judge(rule, ctx) for rule in (*option.criteria, *ind.criteria)]
    because = [r for r in judged if r.status == "not_met"]
    unknown = [r for r in judged if r.status == "unknown"]
    status: Status = "not_eligible" if because else ("unknown" if unknown else "eligible")
    return IndicationResult(
        id=ind.id,
        name=ind.name,
        status=status,
        trial=trials[ind.trial] if ind.trial else None,
        criteria=tuple(judged),
        because=tuple(because),
        needs=_fields(unknown),
        cautions=tuple(r for r in judged if r.status == "caution"),
        checks=tuple(r for r in judged if r.status == "check"),
    )


def _option(option: Option, ctx: TreatmentContext) -> OptionResult:
    trials = {t.id: t for t in treatment_data().trials}
    inds = tuple(_indication(option, i, ctx) for i in range(len(option.indications)))
    status: Status = (
        "eligible"
        if any(i.status == "eligible" for i in inds)
        else "unknown"
        if any(i.status == "unknown" for i in inds)
        else "not_eligible"
    )
    # Cautions and checks matter for the indications that are still open.
    best = [i for i in inds if i.status == status] if status != "not_eligible" else []
    because = _dedupe([r for i in inds for r in i.because]) if status == "not_eligible" else ()
    needs: tuple[str, ...] = ()
    if status == "unknown":
        needs = tuple(dict.fromkeys(f for i in best for f in i.needs))
    return OptionResult(
        id=option.id,
        name=option.name,
        kind=option.kind,
        summary=option.summary,
        status=status,
        because=because,
        needs=needs,
        cautions=_dedupe([r for i in best for r in i.cautions]),
        checks=_dedupe([r for i in best for r in i.checks]),
        indications=inds,
        key_trials=tuple(trials[t] for t in option.key_trials),
        evidence=option.evidence,
        guideline=option.guideline,
        notes=option.cautions,
    )


def treatment_options(ctx: TreatmentContext) -> TreatmentOptions:
    """Every declared option with its eligibility for this context, in declaration order.

    >>> opts = treatment_options(TreatmentContext(family="NEC", bone_metastases=True))
    >>> opts.option("platinum_etoposide").status, opts.option("ssa").status, opts.prescribes
    ('eligible', 'not_eligible', False)
    """
    data = treatment_data()
    return TreatmentOptions(
        disclaimer=data.disclaimer,
        context=ctx,
        options=tuple(_option(opt, ctx) for opt in data.options),
    )


# --- building a context from typed text ---------------------------------------------------------


class ContextField(_Frozen):
    """A field of ``TreatmentContext`` as the CLI and forms show it."""

    name: str
    description: str
    accepted: tuple[str, ...]


def _accepted(name: str, annotation: Any, metadata: list[Any]) -> tuple[str, ...]:
    if name == "primary_site":
        return tuple(_site_groups())
    if name == "prior_therapies":
        return (*_PRIOR, "none")
    args = [a for a in get_args(annotation) if a is not type(None)]
    inner = args[0] if args else annotation
    if get_origin(inner) is Literal:
        return tuple(str(a) for a in get_args(inner))
    if inner is bool:
        return ("yes", "no")
    low = next(
        (getattr(m, "ge", None) for m in metadata if getattr(m, "ge", None) is not None), None
    )
    high = next(
        (getattr(m, "le", None) for m in metadata if getattr(m, "le", None) is not None), None
    )
    kind = "a whole number" if inner is int else "a number"
    if low is not None and high is not None:
        return (f"{kind} from {low} to {high}",)
    if low is not None:
        return (f"{kind} >= {low}",)
    return (kind,)


@functools.cache
def context_fields() -> tuple[ContextField, ...]:
    """The fields of ``TreatmentContext`` with their descriptions and accepted values."""
    out = []
    for name, info in TreatmentContext.model_fields.items():
        out.append(
            ContextField(
                name=name,
                description=info.description or "",
                accepted=_accepted(name, info.annotation, list(info.metadata)),
            )
        )
    return tuple(out)


def _is_tuple_field(annotation: Any) -> bool:
    args = get_args(annotation) if get_origin(annotation) in (typing.Union, types.UnionType) else ()
    return any(get_origin(a) is tuple for a in args)


def treatment_context_from_mapping(values: Mapping[str, str | None]) -> TreatmentContext:
    """Build a ``TreatmentContext`` from text values (``FIELD=VALUE`` as typed).

    Booleans accept yes/no (true/false, 1/0); ``prior_therapies`` a comma-separated list or
    ``none``; empty values mean not recorded. Bad input raises ``BoneInputError`` naming the
    field and the accepted values.
    """
    fields = {f.name: f for f in context_fields()}
    raw: dict[str, Any] = {}
    for key, value in values.items():
        name = key.strip().lower().replace("-", "_")
        if name not in fields:
            raise BoneInputError(
                name,
                f"{key!r} is not a field of the treatment context",
                f"use FIELD=VALUE with FIELD one of: {', '.join(fields)}",
                tuple(fields),
            )
        if value is None or not str(value).strip():
            continue
        text = str(value).strip()
        if _is_tuple_field(TreatmentContext.model_fields[name].annotation):
            items = [p.strip().lower() for p in text.split(",") if p.strip()]
            raw[name] = () if items == ["none"] else tuple(items)
        else:
            raw[name] = text
    try:
        return TreatmentContext.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "context"
        accepted = fields[name].accepted if name in fields else ()
        raise BoneInputError(
            name,
            f"{raw.get(name)!r}: {err['msg']}",
            f"use {' | '.join(accepted)}" if accepted else "check the value",
            accepted,
        ) from None


def treatment_context_from_assignments(words: Iterable[str]) -> TreatmentContext:
    """Build a ``TreatmentContext`` from ``FIELD=VALUE`` words as typed on the command line."""
    values: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep or not key:
            raise BoneInputError(
                "treatments",
                f"{word!r} is not of the form FIELD=VALUE",
                "give each field as FIELD=VALUE, e.g. family=NET ki67_percent=10; fields: "
                + ", ".join(f.name for f in context_fields()),
                tuple(f.name for f in context_fields()),
            )
        if key in values:
            raise BoneInputError(key, f"{key} is given twice", "give each field once")
        values[key] = value
    return treatment_context_from_mapping(values)
