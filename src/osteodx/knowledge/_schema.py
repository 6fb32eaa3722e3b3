"""Typed, validated models of the knowledge-base files (format: docs/knowledge-format.md)."""

from __future__ import annotations

import itertools
import re
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from osteodx.knowledge._evidence import Evidence, Support, denied_host

__all__ = [
    "AGE_BANDS",
    "SEXES",
    "Condition",
    "ConditionFinding",
    "Evidenced",
    "FindingsFile",
    "GradedLevel",
    "HpoPhrases",
    "LabAnalyte",
    "LabsFile",
    "LocalFinding",
    "PriorsFile",
    "ReferenceRange",
    "ScopeFile",
    "Sourced",
    "TestOutcome",
    "TestsFile",
    "UnlistedFile",
    "UnlistedFrequency",
    "UnlistedGivenParent",
    "WorkupTest",
    "check_source",
]

AGE_BANDS: tuple[str, ...] = ("child", "young_adult", "adult", "older")
SEXES: tuple[str, ...] = ("male", "female")
Group = Literal["neoplastic", "acquired", "genetic", "other"]

# A citation part starts with a PMID, PMC id, DOI or URL; a short note may follow it.
_SOURCE_START = re.compile(
    r"^(PMID:?\s?\d+|PMC\d+|DOI:?\s?10\.\S+|https?://\S+|docs/[\w./-]+#[\w-]+)", re.IGNORECASE
)
_FINDING_ID = re.compile(r"^(HP:\d{7}|OSX:[a-z0-9_]+)$")


def check_source(value: str) -> str:
    """A source is one or more citation parts separated by ';', each starting with a PMID, PMC id,
    DOI, http(s) URL or (for declared estimates) a ``docs/...#anchor`` of this project."""
    parts = [p.strip() for p in value.split(";") if p.strip()]
    if not parts:
        raise ValueError("a source (PMID:, DOI: or https:// URL) is required")
    for part in parts:
        if not _SOURCE_START.match(part):
            raise ValueError(
                f"source part {part!r} does not start with a PMID:, PMC, DOI: or http(s) URL"
            )
        if part.lower().startswith("http") and (entry := denied_host(part.split()[0])):
            raise ValueError(
                f"source part {part!r} is on the citation deny-list ({entry}): cite the primary "
                "source it copies (PMID, PMC or DOI), or mark the number as our estimate"
            )
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Sourced(_Frozen):
    """Provenance of a reference fact (a threshold, a definition, a code, a score's points).

    Frequencies and probabilities of the differential carry an evidence record instead
    (``Evidenced``). An estimate (``estimate: true``) gives its ``basis`` and needs no source."""

    source: str | None = None
    via: str | None = None
    estimate: bool = False
    basis: str | None = None
    unverified: bool = False

    @field_validator("source")
    @classmethod
    def _source_is_citation(cls, value: str | None) -> str | None:
        return None if value is None else check_source(value)

    @model_validator(mode="after")
    def _estimate_has_basis(self) -> Sourced:
        if self.estimate and not (self.basis and self.basis.strip()):
            raise ValueError("an estimate needs a one-line 'basis'")
        if not self.estimate and not self.source:
            raise ValueError("a published fact needs its 'source' (or mark it estimate: true)")
        # A project document may be the source only of our own, declared estimates.
        if self.source and any(p.strip().startswith("docs/") for p in self.source.split(";")):
            if self.estimate:
                return self
            raise ValueError("a docs/ source is allowed only for an estimate (estimate: true)")
        return self


class Evidenced(_Frozen):
    """A frequency or probability with the evidence record it rests on (``_evidence.py``).

    ``evidenced_field`` names the number the record must support: a count's k/n (unless a
    conversion is stated) or a statement's HPO frequency range."""

    evidence: Evidence
    evidenced_field: ClassVar[str | None] = None

    @model_validator(mode="after")
    def _evidence_supports_value(self) -> Evidenced:
        name = self.evidenced_field
        if name is None:
            return self
        value = getattr(self, name)
        if not self.evidence.supports(value):
            raise ValueError(
                f"{name} {value:g} is not what its {self.evidence.kind} says "
                f"({self.evidence.describe()}); give the source's value or state the "
                "'conversion' applied"
            )
        return self

    @property
    def source(self) -> str | None:
        """The citation, if the record has one."""
        return self.evidence.citation

    @property
    def estimate(self) -> bool:
        return self.evidence.kind == "judgement"

    @property
    def support(self) -> Support:
        return Support.of(self.evidence)

    @property
    def basis(self) -> str | None:
        e = self.evidence
        return e.reasoning if e.kind == "judgement" else e.conversion


class BandWeights(_Frozen):
    male: float = Field(ge=0)
    female: float = Field(ge=0)


class PriorWeights(Evidenced):
    weights: dict[str, BandWeights]

    @field_validator("weights")
    @classmethod
    def _all_bands(cls, value: dict[str, BandWeights]) -> dict[str, BandWeights]:
        missing = [b for b in AGE_BANDS if b not in value]
        unknown = [b for b in value if b not in AGE_BANDS]
        if missing or unknown:
            raise ValueError(
                f"age bands must be exactly {AGE_BANDS}; missing {missing}, unknown {unknown}"
            )
        return value


class ConditionFinding(Evidenced):
    evidenced_field: ClassVar[str | None] = "frequency"

    finding: str
    label: str
    frequency: float = Field(gt=0, lt=1)
    # Frequencies that differ by age band (e.g. marrow failure in infantile osteopetrosis);
    # bands not listed use `frequency`.
    by_age: dict[str, float] = Field(default_factory=dict)
    gate: bool = False
    note: str | None = None

    @field_validator("by_age")
    @classmethod
    def _bands(cls, value: dict[str, float]) -> dict[str, float]:
        for band, f in value.items():
            if band not in AGE_BANDS:
                raise ValueError(f"by_age band {band!r} is not one of {AGE_BANDS}")
            if not 0 < f < 1:
                raise ValueError(f"by_age frequency {f} for {band} must be between 0 and 1")
        return value

    def support_for(self, band: int) -> Support:
        """What the frequency used in an age band rests on: an age-band value (``by_age``) is
        our judgement of how the finding differs with age, not the base record's figure."""
        used = self.frequency_for(band)
        if not self.by_age or used == self.frequency:
            return self.support
        where = AGE_BANDS[band].replace("_", " ") if 0 <= band < len(AGE_BANDS) else "all ages"
        return Support(
            "judgement",
            f"the {where} value {used:g} is our judgement of how the finding differs with age; "
            f"the base frequency {self.frequency:g} rests on: {self.support.label}",
        )

    def frequency_for(self, band: int) -> float:
        """The frequency in an age band (index into AGE_BANDS; out of range = unknown age)."""
        if 0 <= band < len(AGE_BANDS):
            return self.by_age.get(AGE_BANDS[band], self.frequency)
        if not self.by_age:
            return self.frequency
        return sum(self.by_age.get(b, self.frequency) for b in AGE_BANDS) / len(AGE_BANDS)

    @field_validator("finding")
    @classmethod
    def _finding_id(cls, value: str) -> str:
        if not _FINDING_ID.match(value):
            raise ValueError(f"finding id {value!r} must be HP:nnnnnnn or OSX:snake_case")
        return value


class Condition(_Frozen):
    key: str
    name: str
    group: Group
    summary: str
    prior: PriorWeights
    findings: tuple[ConditionFinding, ...]
    xrefs: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_findings(self) -> Condition:
        seen: set[str] = set()
        for f in self.findings:
            if f.finding in seen:
                raise ValueError(f"finding {f.finding} is listed twice")
            seen.add(f.finding)
        return self


class LocalFinding(_Frozen):
    id: str
    label: str
    category: Literal["exposure", "history", "imaging", "lab", "sign"]
    definition: str
    phrases: tuple[str, ...] = ()
    implies: tuple[str, ...] = ()
    # HPO terms that speak about this exposure or history when a case reports them present (or a
    # term below them, except those below a term of ``not_answered_by``): a case describing a
    # lung tumour is not silent about lung cancer, one describing a lung hamartoma is.
    answered_by: tuple[str, ...] = ()
    not_answered_by: tuple[str, ...] = ()
    # Names of a test whose negative result excludes this finding but whose mere mention does
    # not show it ("octreoscan negative" vs "octreoscan showed uptake in the ileum").
    negative_test_phrases: tuple[str, ...] = ()
    sclerotic: bool = False

    @field_validator("id")
    @classmethod
    def _local_id(cls, value: str) -> str:
        if not re.match(r"^OSX:[a-z0-9_]+$", value):
            raise ValueError(f"local finding id {value!r} must look like OSX:snake_case")
        return value


class HpoPhrases(_Frozen):
    id: str
    label: str
    phrases: tuple[str, ...] = ()
    # Words that state the finding is absent without naming it ("asymptomatic" for bone pain):
    # read from text as an excluded finding, unless the text names the finding or a finding at
    # or below a term of ``absent_yields_to`` ("asymptomatic until he developed leg pain").
    absent_phrases: tuple[str, ...] = ()
    absent_yields_to: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_phrases(self) -> HpoPhrases:
        if not self.phrases and not self.absent_phrases:
            raise ValueError(f"hpo_phrases {self.id}: give phrases or absent_phrases")
        return self


class UnlistedFrequency(Evidenced):
    """P(finding | a cause whose file does not list it), for one finding; ``by_age`` for findings
    common in the general population whose background rises with age (hearing loss ...)."""

    evidenced_field: ClassVar[str | None] = "frequency"

    finding: str
    label: str
    frequency: float = Field(gt=0, lt=1)
    by_age: dict[str, BandFrequency] = Field(default_factory=dict)

    @field_validator("by_age")
    @classmethod
    def _bands(cls, value: dict[str, BandFrequency]) -> dict[str, BandFrequency]:
        for band in value:
            if band not in AGE_BANDS:
                raise ValueError(f"by_age band {band!r} is not one of {AGE_BANDS}")
        return value

    def frequency_for(self, band: int) -> float:
        """The background in an age band (index into AGE_BANDS; out of range = unknown age)."""
        if 0 <= band < len(AGE_BANDS) and AGE_BANDS[band] in self.by_age:
            return self.by_age[AGE_BANDS[band]].frequency
        return self.frequency


class BandFrequency(Evidenced):
    """A background frequency in one age band, with its own evidence."""

    evidenced_field: ClassVar[str | None] = "frequency"

    frequency: float = Field(gt=0, lt=1)


class UnlistedFile(_Frozen):
    unlisted: tuple[UnlistedFrequency, ...]


class FindingsFile(_Frozen):
    findings: tuple[LocalFinding, ...] = ()
    hpo_phrases: tuple[HpoPhrases, ...] = ()


class GroupPrior(Evidenced):
    weights: dict[str, BandWeights]


class PriorsFile(_Frozen):
    groups: dict[str, GroupPrior]
    settings: dict[str, SettingValue]


class SettingValue(Evidenced):
    value: float


class ReferenceRange(_Frozen):
    sex: Literal["male", "female", "any"] = "any"
    age_min: float = 0
    age_max: float = 150
    low: float | None = None
    high: float | None = None
    source: str
    estimate: bool = False
    basis: str | None = None
    via: str | None = None
    note: str | None = None


class TermRef(_Frozen):
    id: str
    label: str


class LoincCode(_Frozen):
    code: str
    display: str
    source: str
    note: str | None = None

    @field_validator("source")
    @classmethod
    def _source_is_citation(cls, value: str) -> str:
        return check_source(value)


class Plausible(_Frozen):
    min: float
    max: float


class UnlistedGivenParent(Evidenced):
    """P(a graded level | the level below it is reached, a cause whose file does not list it)."""

    evidenced_field: ClassVar[str | None] = "value"

    value: float = Field(gt=0, lt=1)


class GradedLevel(Sourced):
    """A derived finding recorded when a laboratory value lies above a threshold beyond the upper
    reference limit (e.g. PSA above 20 ng/mL). ``source`` and ``via`` give the threshold's origin.

    The levels of an analyte form a chain: each implies the one below it (the first implies the
    analyte's ``high_term``). A condition file gives P(level | condition); the engine counts each
    level conditionally on the one below, so a value counts once, in the band it falls in.
    """

    finding: str
    label: str
    above: float | None = Field(default=None, gt=0)  # in the analyte's unit
    above_uln: float | None = Field(default=None, gt=1)  # a multiple of the upper reference limit
    unlisted_given_parent: UnlistedGivenParent | None = None
    note: str | None = None

    @field_validator("finding")
    @classmethod
    def _local_id(cls, value: str) -> str:
        if not re.match(r"^OSX:[a-z0-9_]+$", value):
            raise ValueError(f"graded finding id {value!r} must look like OSX:snake_case")
        return value

    @model_validator(mode="after")
    def _one_threshold(self) -> GradedLevel:
        if (self.above is None) == (self.above_uln is None):
            raise ValueError(f"{self.finding}: give exactly one of 'above' and 'above_uln'")
        return self

    def threshold(self, upper_limit: float | None) -> float | None:
        """The threshold in the analyte's unit; None when it is relative and no limit is known."""
        if self.above is not None:
            return self.above
        assert self.above_uln is not None
        return None if upper_limit is None else self.above_uln * upper_limit

    def describe(self, unit: str) -> str:
        if self.above is not None:
            return f"above {self.above:g} {unit}"
        return f"above {self.above_uln:g} x the upper reference limit"


class LabAnalyte(_Frozen):
    key: str
    name: str
    source: str
    plausible_basis: str | None = None
    aliases: tuple[str, ...] = ()
    loinc: tuple[LoincCode, ...] = ()
    unit: str
    units: tuple[str, ...] = ()
    molar_mass_g_per_mol: float | None = None
    molar_mass_source: str | None = None
    high_term: TermRef | None = None
    low_term: TermRef | None = None
    plausible: Plausible
    reference_ranges: tuple[ReferenceRange, ...] = ()
    graded: tuple[GradedLevel, ...] = ()

    @model_validator(mode="after")
    def _graded_chain(self) -> LabAnalyte:
        kinds = {level.above is None for level in self.graded}
        if len(kinds) > 1:
            raise ValueError(f"{self.key}: graded levels mix 'above' and 'above_uln'")
        values = [lv.above if lv.above is not None else lv.above_uln for lv in self.graded]
        if any(b is None or a is None or b <= a for a, b in itertools.pairwise(values)):
            raise ValueError(f"{self.key}: graded thresholds must rise strictly, lowest first")
        for i, level in enumerate(self.graded):
            has_parent = self.graded_parent(i) is not None
            if has_parent and level.unlisted_given_parent is None:
                raise ValueError(
                    f"{self.key}: {level.finding} needs 'unlisted_given_parent' (the level below "
                    "it is a finding)"
                )
            if not has_parent and level.unlisted_given_parent is not None:
                raise ValueError(
                    f"{self.key}: {level.finding} has no level below it; give its background "
                    "in unlisted.yaml instead of 'unlisted_given_parent'"
                )
        return self

    def graded_parent(self, index: int) -> str | None:
        """The finding a graded level implies: the level below it, else ``high_term``."""
        if index > 0:
            return self.graded[index - 1].finding
        return self.high_term.id if self.high_term is not None else None

    def graded_levels(
        self, value: float, flag: str, upper_limit: float | None
    ) -> list[tuple[GradedLevel, bool]]:
        """The graded levels a value settles, lowest first, each with whether it is exceeded.

        The walk stops at the first level not exceeded (higher ones follow from it). Levels above
        a ``high_term`` are judged only when the value is high; a relative threshold needs the
        upper reference limit.
        """
        if not self.graded or (self.high_term is not None and flag != "high"):
            return []
        settled: list[tuple[GradedLevel, bool]] = []
        for level in self.graded:
            threshold = level.threshold(upper_limit)
            if threshold is None:
                break
            exceeded = value > threshold
            settled.append((level, exceeded))
            if not exceeded:
                break
        return settled


class ScopeFile(_Frozen):
    hpo_roots: tuple[TermRef, ...]
    local: tuple[str, ...] = ()


class LabsFile(_Frozen):
    labs: tuple[LabAnalyte, ...]


class OutcomeProbability(Evidenced):
    evidenced_field: ClassVar[str | None] = "p"

    p: float = Field(gt=0, lt=1)


class TestOutcome(_Frozen):
    # A short id names the outcome when a case reports it (case form 'results', pathology).
    id: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    result: str
    given: dict[str, OutcomeProbability] = Field(default_factory=dict)
    otherwise: OutcomeProbability


class WorkupTest(_Frozen):
    key: str
    name: str
    kind: Literal["lab", "imaging", "biopsy", "genetic", "clinical"]
    invasiveness: Literal["none", "blood_draw", "minimally_invasive", "invasive"]
    cost: Literal["low", "medium", "high"]
    source: str
    via: str | None = None
    outcomes: tuple[TestOutcome, ...]
    answered_by: tuple[str, ...] = ()


class TestsFile(_Frozen):
    tests: tuple[WorkupTest, ...]


PriorsFile.model_rebuild()
UnlistedFrequency.model_rebuild()
