"""Typed, validated models of the bone data files (``bone/scores/*.yaml``, ``bone/data/*.yaml``).

Provenance follows the knowledge base (docs/knowledge-format.md): every number has a ``source``
that starts with a PMID, PMC id, DOI or URL; ``estimate: true`` with a one-line ``basis`` marks
our own judgement (only then may the source be a project document); ``unverified: true`` marks
what the reference could not confirm. A score declaration is checked on load: unique,
shell-friendly names and values, number bands that tile their range, categories that tile the
declared total range exactly, worked examples that use declared items and categories, and
laboratory cut-offs (``derive_from_labs``) that name analytes of the knowledge base's
``labs.yaml`` in that analyte's canonical unit, the unit a case's values are stored in.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from osteodx.knowledge._data import load
from osteodx.knowledge._schema import LabsFile, Sourced

__all__ = [
    "Band",
    "Category",
    "Choice",
    "Criterion",
    "Example",
    "Guideline",
    "Indication",
    "Item",
    "LabCutoff",
    "LabDerivation",
    "LabLevel",
    "NenConventionFile",
    "NenRule",
    "Note",
    "NumberSpec",
    "Option",
    "Outcome",
    "PublishedCutoff",
    "Reading",
    "ScoreDeclaration",
    "SiteEntry",
    "Sourced",
    "TreatmentFile",
    "Trial",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VALUE = re.compile(r"^[a-z0-9][a-z0-9_]*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- score declarations ------------------------------------------------------------------------


class Note(Sourced):
    """A sourced sentence: a validation result, a convention, a caution."""

    text: str


class Outcome(Sourced):
    """An outcome figure of a category (cohort statistic shown as text, never computed)."""

    text: str


class Reading(Sourced):
    """One source's wording for a category (the caller may pick the reading it shows)."""

    name: str
    text: str


class Choice(_Frozen):
    """One accepted value of a choice item."""

    value: str
    label: str
    points: int
    aliases: tuple[str, ...] = ()
    convention: str | None = None

    @field_validator("value")
    @classmethod
    def _shell_friendly(cls, value: str) -> str:
        if not _VALUE.match(value):
            raise ValueError(f"value {value!r} must be lower-case letters, digits and '_'")
        return value


class NumberSpec(_Frozen):
    """An integer item: accepted range and step."""

    min: int
    max: int | None = None
    step: int = Field(default=1, ge=1)
    unit: str | None = None


class Band(_Frozen):
    """Points for a range of an integer item (``max`` None = no upper limit)."""

    min: int
    max: int | None = None
    points: int
    label: str


@functools.cache
def _canonical_lab_units() -> dict[str, str]:
    """Lab key -> canonical unit, from the knowledge base's ``labs.yaml`` (read once)."""
    return {lab.key: lab.unit for lab in load("knowledge/data/labs.yaml", LabsFile).labs}


class PublishedCutoff(_Frozen):
    """A cut-off as the source prints it, before conversion to the canonical unit."""

    threshold: float
    unit: str


class LabCutoff(Sourced):
    """One laboratory cut-off: ``lab`` (a key of labs.yaml) ``comparison`` ``threshold``.

    ``unit`` must be the analyte's canonical unit in labs.yaml: a case holds its values in that
    unit, so the threshold is compared with them as it stands. ``published`` keeps the value and
    unit the source prints when they differ in form (a test converts one into the other).
    """

    lab: str
    comparison: Literal["lt", "le", "gt", "ge"]
    threshold: float
    unit: str
    published: PublishedCutoff | None = None

    @field_validator("lab")
    @classmethod
    def _known_lab(cls, value: str) -> str:
        units = _canonical_lab_units()
        if value not in units:
            raise ValueError(
                f"lab {value!r} is not an analyte of knowledge/data/labs.yaml; "
                f"use one of its keys: {', '.join(sorted(units))}"
            )
        return value

    @field_validator("unit")
    @classmethod
    def _canonical_unit(cls, value: str, info: ValidationInfo) -> str:
        lab = info.data.get("lab")
        if lab is None:  # the lab itself was refused; that error is reported
            return value
        canonical = _canonical_lab_units()[lab]
        if value != canonical:
            raise ValueError(
                f"unit {value!r} is not the canonical unit of {lab} in labs.yaml; "
                f"state the threshold in {canonical!r} (the unit a case's {lab} is stored in)"
            )
        return value

    def met(self, value: float) -> bool:
        """Whether a measured value (in ``unit``) is beyond this cut-off."""
        if self.comparison == "lt":
            return value < self.threshold
        if self.comparison == "le":
            return value <= self.threshold
        if self.comparison == "gt":
            return value > self.threshold
        return value >= self.threshold


class LabLevel(_Frozen):
    """A value of the item, taken when any of its cut-offs is met."""

    value: str
    any_of: tuple[LabCutoff, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _labs_once(self) -> LabLevel:
        labs = [c.lab for c in self.any_of]
        if len(set(labs)) != len(labs):
            raise ValueError(f"level {self.value}: a lab is listed twice: {labs}")
        return self


class LabDerivation(_Frozen):
    """How a choice item follows from measured labs.

    ``levels`` are listed worst first: the first level with a cut-off met gives the value; when
    no cut-off of a level is met but one of its labs is not measured, the item stays open (that
    level could still apply). ``otherwise`` is the value when every lab is measured and no
    cut-off is met.
    """

    levels: tuple[LabLevel, ...] = Field(min_length=1)
    otherwise: str

    @property
    def labs(self) -> tuple[str, ...]:
        """Every lab the rule reads, in declaration order, without repeats."""
        return tuple(dict.fromkeys(c.lab for level in self.levels for c in level.any_of))


class Item(Sourced):
    """One item of a score: either ``choices`` or an integer ``number`` mapped through ``bands``.

    A choice item may declare ``derive_from_labs``: the cut-offs by which a case's measured
    labs decide its value.
    """

    name: str
    label: str
    help: str
    choices: tuple[Choice, ...] = ()
    number: NumberSpec | None = None
    bands: tuple[Band, ...] = ()
    derive_from_labs: LabDerivation | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"item name {value!r} must be snake_case")
        return value

    @model_validator(mode="after")
    def _shape(self) -> Item:
        if bool(self.choices) == (self.number is not None):
            raise ValueError(f"item {self.name}: declare either choices or number + bands")
        if self.choices:
            if self.bands:
                raise ValueError(f"item {self.name}: bands belong to number items")
            seen: set[str] = set()
            for c in self.choices:
                for key in (c.value, *c.aliases):
                    if key.lower() in seen:
                        raise ValueError(f"item {self.name}: value or alias {key!r} is repeated")
                    seen.add(key.lower())
            if self.derive_from_labs is not None:
                self._check_derivation(self.derive_from_labs)
            return self
        assert self.number is not None
        if self.derive_from_labs is not None:
            raise ValueError(f"item {self.name}: derive_from_labs belongs to choice items")
        if not self.bands:
            raise ValueError(f"item {self.name}: a number item needs bands")
        expected = self.number.min
        for i, band in enumerate(self.bands):
            if band.min != expected:
                raise ValueError(
                    f"item {self.name}: band {i} starts at {band.min}, expected {expected}"
                )
            last = i == len(self.bands) - 1
            if band.max is None:
                if not last or self.number.max is not None:
                    raise ValueError(f"item {self.name}: only the last band of an unbounded item")
                break
            if band.max < band.min:
                raise ValueError(f"item {self.name}: band {i} ends before it starts")
            if last and band.max != self.number.max:
                raise ValueError(
                    f"item {self.name}: the last band ends at {band.max}, "
                    f"the item at {self.number.max}"
                )
            expected = band.max + self.number.step
        return self

    def _check_derivation(self, rule: LabDerivation) -> None:
        declared = {c.value for c in self.choices}
        values = [level.value for level in rule.levels] + [rule.otherwise]
        for v in values:
            if v not in declared:
                raise ValueError(
                    f"item {self.name}: derive_from_labs names value {v!r}; "
                    f"use a declared value: {', '.join(sorted(declared))}"
                )
        if len(set(values)) != len(values):
            raise ValueError(f"item {self.name}: derive_from_labs repeats a value: {values}")

    @property
    def kind(self) -> Literal["choice", "number"]:
        return "choice" if self.choices else "number"

    @property
    def points(self) -> tuple[int, ...]:
        """Every number of points the item can give, in declaration order, without repeats."""
        seen: list[int] = []
        for p in [c.points for c in self.choices] + [b.points for b in self.bands]:
            if p not in seen:
                seen.append(p)
        return tuple(seen)


class Category(Sourced):
    """A band of totals (inclusive) with its interpretation and outcome figures."""

    id: str
    min: int
    max: int
    label: str
    interpretation: str
    readings: tuple[Reading, ...] = ()
    outcomes: tuple[Outcome, ...] = ()


class Example(_Frozen):
    """A worked example of the reference: inputs and the expected total and category."""

    id: str
    values: dict[str, str | int]
    total: int
    category: str
    note: str = ""


class ScoreDeclaration(Sourced):
    """A whole score: items, categories, validation, conventions and worked examples."""

    id: str
    name: str
    purpose: str
    direction: Literal["higher_worse", "higher_better"]
    total_min: int
    total_max: int
    citation: str
    derivation: Note | None = None
    items: tuple[Item, ...]
    categories: tuple[Category, ...]
    validation: tuple[Note, ...] = ()
    conventions: tuple[Note, ...] = ()
    examples: tuple[Example, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> ScoreDeclaration:
        names = [i.name for i in self.items]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.id}: item names repeat: {names}")
        low = sum(min(i.points) for i in self.items)
        high = sum(max(i.points) for i in self.items)
        if (low, high) != (self.total_min, self.total_max):
            raise ValueError(
                f"{self.id}: items give totals {low}-{high}, declared "
                f"{self.total_min}-{self.total_max}"
            )
        expected = self.total_min
        for c in self.categories:
            if c.min != expected or c.max < c.min:
                raise ValueError(
                    f"{self.id}: category {c.id} covers {c.min}-{c.max}; categories must tile "
                    f"{self.total_min}-{self.total_max} in order (next expected start {expected})"
                )
            expected = c.max + 1
        if expected != self.total_max + 1:
            raise ValueError(f"{self.id}: categories end at {expected - 1}, not {self.total_max}")
        ids = {c.id for c in self.categories}
        for ex in self.examples:
            unknown = set(ex.values) - set(names)
            if unknown:
                raise ValueError(f"{self.id}: example {ex.id} uses unknown items {unknown}")
            if ex.category not in ids:
                raise ValueError(f"{self.id}: example {ex.id} names unknown category")
        return self


# --- treatment options -------------------------------------------------------------------------


class Trial(Sourced):
    """A key trial: population, design and headline result."""

    id: str
    name: str
    population: str
    design: str
    result: str


class Guideline(Sourced):
    """Where a guideline or regulator speaks to an option."""

    text: str


class Criterion(Sourced):
    """One eligibility rule on a field of ``TreatmentContext``.

    Exactly one test: ``one_of`` (value among), ``site_groups`` (the primary site belongs to a
    group), ``ge``/``gt``/``le``/``lt`` (numbers), ``equals`` (yes/no), ``any_of``/``none_of``
    (a list field contains any / none of). ``undetermined`` values make the rule unknown (e.g.
    an unknown primary for a midgut-only trial). ``effect: require`` excludes when not met;
    ``caution`` only warns. ``if_missing: unknown`` makes the option unknown until the field is
    given; ``check`` lists it as a check to do.
    """

    id: str
    field: str
    text: str
    one_of: tuple[str, ...] | None = None
    site_groups: tuple[str, ...] | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    equals: bool | None = None
    any_of: tuple[str, ...] | None = None
    none_of: tuple[str, ...] | None = None
    undetermined: tuple[str, ...] = ()
    effect: Literal["require", "caution"] = "require"
    if_missing: Literal["unknown", "check"] = "unknown"
    caution: str | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Criterion:
        kinds = [
            self.one_of is not None,
            self.site_groups is not None,
            any(v is not None for v in (self.ge, self.gt, self.le, self.lt)),
            self.equals is not None,
            self.any_of is not None,
            self.none_of is not None,
        ]
        if sum(kinds) != 1:
            raise ValueError(f"criterion {self.id}: declare exactly one kind of test")
        if self.effect == "caution" and not self.caution:
            raise ValueError(f"criterion {self.id}: a caution needs its 'caution' text")
        return self


class Indication(_Frozen):
    """A population in which the option has evidence (usually a trial's), with its rules."""

    id: str
    name: str
    trial: str | None = None
    criteria: tuple[Criterion, ...] = ()


class Option(_Frozen):
    """A treatment option to discuss: rules common to all its indications, evidence, sources."""

    id: str
    name: str
    kind: Literal["systemic", "bone", "supportive"]
    summary: str
    criteria: tuple[Criterion, ...] = ()
    indications: tuple[Indication, ...]
    key_trials: tuple[str, ...] = ()
    evidence: tuple[Note, ...] = ()
    guideline: tuple[Guideline, ...]
    cautions: tuple[Note, ...] = ()


class SiteEntry(_Frozen):
    """A primary-site id (the ids of ``osteodx.nen``) and the groups trials use."""

    id: str
    label: str
    groups: tuple[str, ...] = ()


class TreatmentFile(_Frozen):
    version: int
    disclaimer: str
    sites: tuple[SiteEntry, ...]
    prior_therapies: tuple[str, ...]
    trials: tuple[Trial, ...]
    options: tuple[Option, ...]

    @model_validator(mode="after")
    def _references(self) -> TreatmentFile:
        trial_ids = {t.id for t in self.trials}
        groups = {g for s in self.sites for g in s.groups}
        site_ids = {s.id for s in self.sites}
        for opt in self.options:
            for tid in opt.key_trials:
                if tid not in trial_ids:
                    raise ValueError(f"option {opt.id}: unknown trial {tid!r}")
            rules = list(opt.criteria)
            for ind in opt.indications:
                if ind.trial is not None and ind.trial not in trial_ids:
                    raise ValueError(f"option {opt.id}: indication {ind.id}: unknown trial")
                rules += ind.criteria
            for rule in rules:
                for g in rule.site_groups or ():
                    if g not in groups:
                        raise ValueError(f"option {opt.id}: {rule.id}: unknown site group {g!r}")
                if rule.field == "primary_site":
                    for s in (*(rule.one_of or ()), *rule.undetermined):
                        if s not in site_ids:
                            raise ValueError(f"option {opt.id}: {rule.id}: unknown site {s!r}")
                if rule.field == "prior_therapies":
                    for p in (*(rule.any_of or ()), *(rule.none_of or ())):
                        if p not in self.prior_therapies:
                            raise ValueError(f"option {opt.id}: {rule.id}: unknown therapy {p!r}")
        return self


# --- NEN conventions for the primary-tumour items ----------------------------------------------


class NenAlternative(_Frozen):
    """A second reading of a score item that the score's own table gives for this case (a NET
    of unknown primary is also a cancer of unknown origin): shown beside the convention."""

    value: str
    text: str


class NenRule(Sourced):
    """Which value a NEN takes in one score item (first matching rule wins)."""

    score: str
    item: str
    family: Literal["NET", "NEC"]
    grades: tuple[Literal["G1", "G2", "G3"], ...] = ()
    sites: tuple[str, ...] = ()
    value: str
    text: str
    when: str | None = None  # the rule applies only when this switch is on
    alternative: NenAlternative | None = None


class NenConventionFile(_Frozen):
    version: int
    switches: dict[str, str]
    rules: tuple[NenRule, ...]
