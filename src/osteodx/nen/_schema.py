"""Typed, validated models of the NEN data files (``nen/data/*.yaml``).

Every number carries its provenance as in the knowledge base (docs/knowledge-format.md): a
``source`` that starts with a PMID, PMC id, DOI or URL, ``estimate: true`` with a one-line
``basis`` for our own judgement, ``unverified: true`` where the reference says so. The rules
mirror ``osteodx.knowledge``'s ``Sourced`` so that the two bases read alike.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from osteodx.knowledge._schema import Sourced as KnowledgeSourced
from osteodx.knowledge._schema import check_source

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Greek letters in marker names, spelled out before the other characters are dropped, so that
# "β-catenin" meets "beta-catenin" and "α-inhibin" does not become "inhibin".
_GREEK = str.maketrans(
    {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "λ": "lambda"}
)


def name_key(name: str) -> str:
    """Lower case, Greek letters spelled out and every other non-alphanumeric character dropped:
    'TTF-1' and 'ttf1' meet, as do 'β-catenin' and 'beta catenin'."""
    return _NON_ALNUM.sub("", name.lower().translate(_GREEK))


__all__ = [
    "CirculatingFile",
    "ClueFile",
    "GradingFile",
    "ImagingFile",
    "SiteMarkerFile",
    "Sourced",
    "StagingFile",
]


Grade = Literal["G1", "G2", "G3"]
System = Literal["gep", "thoracic", "other"]
Family = Literal["NET", "NEC", "MiNEN", "non_NEN", "undetermined"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_researched(researched: bool, via: str | None, read: str | None) -> None:
    if researched and not (via and via.strip() and read and read.strip()):
        raise ValueError(
            "a researched source (not cited by the reference notes) needs 'via' (the address "
            "read) and 'read' (what was read there)"
        )


class Sourced(KnowledgeSourced):
    """Provenance carried by every number (the knowledge base's rules, docs/knowledge-format.md).

    ``researched: true`` marks a source that the reference notes do not cite; it then needs
    ``via`` (the address of what was actually read) and ``read`` (what that was, e.g. "abstract").
    Here ``via`` is itself a citation.
    """

    researched: bool = False
    read: str | None = None

    @field_validator("via")
    @classmethod
    def _via_is_citation(cls, value: str | None) -> str | None:
        return None if value is None else check_source(value)

    @model_validator(mode="after")
    def _researched_is_documented(self) -> Sourced:
        _check_researched(self.researched, self.via, self.read)
        return self


class SourcedNumber(Sourced):
    value: float


# --- grading.yaml ---------------------------------------------------------------------------


class SiteEntry(_Frozen):
    id: str
    label: str
    system: System
    origin: str
    aliases: tuple[str, ...] = ()


class CategoryEntry(_Frozen):
    id: str
    label: str
    family: Family
    grade: Grade | None = None


class Band(_Frozen):
    grade: Grade
    below: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Band:
        if self.below is not None and self.max is not None:
            raise ValueError("a band has either 'below' (strict) or 'max' (inclusive), not both")
        return self


def _check_bands(bands: tuple[Band, ...]) -> tuple[Band, ...]:
    if not bands or bands[-1].below is not None or bands[-1].max is not None:
        raise ValueError("the last band must be open (no 'below'/'max')")
    bounds: list[float] = []
    for b in bands[:-1]:
        bound = b.below if b.below is not None else b.max
        if bound is None:
            raise ValueError("only the last band may be open")
        bounds.append(bound)
    if bounds != sorted(bounds):
        raise ValueError("band bounds must increase")
    return bands


class GepSystem(Sourced):
    name: str
    ki67_percent: tuple[Band, ...]
    mitoses_per_2mm2: tuple[Band, ...]
    nec_typical_above: SourcedNumber

    @field_validator("ki67_percent", "mitoses_per_2mm2")
    @classmethod
    def _bands(cls, value: tuple[Band, ...]) -> tuple[Band, ...]:
        return _check_bands(value)


class ThoracicSystem(Sourced):
    name: str
    typical_mitoses_below: SourcedNumber
    atypical_mitoses_max: SourcedNumber
    tumorlet_size_below_mm: SourcedNumber
    ki67_flag_above: SourcedNumber
    crushed_biopsy_carcinoid_ki67_below: SourcedNumber


class MinenRules(_Frozen):
    component_min_percent: SourcedNumber


class Ki67Count(_Frozen):
    minimum_cells: SourcedNumber
    older_dataset_cells: SourcedNumber
    near_cutoff_margin_percent: SourcedNumber


class NeConfirmation(Sourced):
    confirming_markers: tuple[str, ...]
    non_specific_markers: tuple[str, ...]


class RenamedTerm(Sourced):
    term: str
    aliases: tuple[str, ...] = ()
    category: str


class RuleEntry(Sourced):
    id: str
    statement: str


class GradingFile(_Frozen):
    version: int
    sites: tuple[SiteEntry, ...]
    categories: tuple[CategoryEntry, ...]
    gep: GepSystem
    thoracic: ThoracicSystem
    minen: MinenRules
    ki67_count: Ki67Count
    ne_confirmation: NeConfirmation
    renamed_terms: tuple[RenamedTerm, ...]
    rules: tuple[RuleEntry, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> GradingFile:
        for what, ids in (
            ("site", [s.id for s in self.sites]),
            ("category", [c.id for c in self.categories]),
            ("rule", [r.id for r in self.rules]),
        ):
            dupes = {i for i in ids if ids.count(i) > 1}
            if dupes:
                raise ValueError(f"{what} ids listed twice: {sorted(dupes)}")
        cats = {c.id for c in self.categories}
        for t in self.renamed_terms:
            if t.category not in cats:
                raise ValueError(f"renamed term {t.term!r}: unknown category {t.category!r}")
        return self


# --- staging.yaml ---------------------------------------------------------------------------


class Statement(Sourced):
    statement: str


class GepNetStaging(Sourced):
    name: str
    m1a: str
    m1b: str
    m1c: str
    stage_iv: Statement


class StagingFile(_Frozen):
    version: int
    hepatic_sites: tuple[str, ...]
    gep_net: GepNetStaging
    carcinoma_of_organ: Statement
    thoracic: Statement
    unknown_primary: Statement
    other_system: Statement


# --- site_markers.yaml ----------------------------------------------------------------------


class SiteLabel(_Frozen):
    id: str
    label: str


class Prior(Sourced):
    weights: dict[str, float]

    @field_validator("weights")
    @classmethod
    def _sums_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        if any(w <= 0 for w in value.values()):
            raise ValueError("prior weights must be positive")
        total = sum(value.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"prior weights sum to {total}, not 1")
        return value


class Study(_Frozen):
    """One study behind site-marker counts. ``citation`` is the bibliographic reference;
    ``source`` its identifier (PMID, DOI or URL) where one has been checked."""

    citation: str
    source: str | None = None
    via: str | None = None
    design: str
    researched: bool = False
    read: str | None = None

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        return None if value is None else check_source(value)

    @property
    def cited(self) -> str:
        """The identifier when one has been checked, else the bibliographic reference."""
        return self.source or self.citation

    @field_validator("via")
    @classmethod
    def _via(cls, value: str | None) -> str | None:
        return None if value is None else check_source(value)

    @model_validator(mode="after")
    def _researched(self) -> Study:
        _check_researched(self.researched, self.via, self.read)
        return self


class Observation(_Frozen):
    """k positive of n in one study at one site (or a group of sites, see ``scope``)."""

    study: str
    k: int = Field(ge=0)
    n: int = Field(ge=1)
    specimen: Literal["primary", "metastasis", "fna", "mixed"]
    scope: str | None = None
    note: str | None = None
    estimate: bool = False
    basis: str | None = None

    @model_validator(mode="after")
    def _k_le_n(self) -> Observation:
        if self.k > self.n:
            raise ValueError(f"k={self.k} is larger than n={self.n}")
        if self.estimate and not self.basis:
            raise ValueError("an estimated count needs a 'basis'")
        return self


class MarkerEntry(_Frozen):
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    frequencies: dict[str, tuple[Observation, ...]]
    note: str | None = None


class DependenceGroup(_Frozen):
    markers: tuple[str, ...]
    source: str
    statement: str

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        return check_source(value)


class RecognisedMarker(_Frozen):
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    reason: str


class SiteSettings(_Frozen):
    focal_weight: SourcedNumber
    positive_cutoff_low_percent: SourcedNumber
    positive_cutoff_high_percent: SourcedNumber
    imputed_pseudo_count: SourcedNumber
    dependent_weight: SourcedNumber
    credible_level: SourcedNumber
    monte_carlo_draws: SourcedNumber


class SubOrigin(_Frozen):
    id: str
    label: str


class Shares(Sourced):
    """Pseudo-counts per sub-origin; the shares are Dirichlet(1 + count) (mean and draws)."""

    counts: dict[str, int]

    @field_validator("counts")
    @classmethod
    def _non_negative(cls, value: dict[str, int]) -> dict[str, int]:
        if any(c < 0 for c in value.values()):
            raise ValueError("share counts must be >= 0")
        return value


class SiteMixture(_Frozen):
    """A site of the model that is a mixture of sub-origins with their own marker frequencies."""

    site: str
    components: tuple[SubOrigin, ...]
    shares: dict[Literal["well", "poor"], Shares]

    @model_validator(mode="after")
    def _shares_cover_components(self) -> SiteMixture:
        ids = {c.id for c in self.components}
        if len(ids) < 2 or len(ids) != len(self.components):
            raise ValueError(f"mixture {self.site}: needs two or more distinct sub-origins")
        for name, shares in self.shares.items():
            if set(shares.counts) != ids:
                raise ValueError(f"mixture {self.site}, prior {name}: counts must name {ids}")
        return self


class SiteMarkerFile(_Frozen):
    version: int
    sites: tuple[SiteLabel, ...]
    priors: dict[Literal["well", "poor"], Prior]
    settings: SiteSettings
    studies: dict[str, Study]
    mixtures: tuple[SiteMixture, ...] = ()
    markers: tuple[MarkerEntry, ...]
    dependence_groups: tuple[DependenceGroup, ...]
    recognised_markers: tuple[RecognisedMarker, ...]

    @model_validator(mode="after")
    def _cross_check(self) -> SiteMarkerFile:
        sites = {s.id for s in self.sites}
        for name, prior in self.priors.items():
            if set(prior.weights) != sites:
                raise ValueError(f"prior {name!r} must weigh exactly the sites {sorted(sites)}")
        mixed = {m.site for m in self.mixtures}
        components = [c.id for m in self.mixtures for c in m.components]
        if not mixed <= sites or len(mixed) != len(self.mixtures):
            raise ValueError(f"mixtures must name distinct sites of the model: {sorted(mixed)}")
        if len(set(components)) != len(components) or set(components) & sites:
            raise ValueError("sub-origin ids must be unique and differ from the site ids")
        for mix in self.mixtures:
            if set(mix.shares) != set(self.priors):
                raise ValueError(
                    f"mixture {mix.site}: shares needed for the priors {sorted(self.priors)}"
                )
        cells = (sites - mixed) | set(components)
        ids = [m.id for m in self.markers] + [m.id for m in self.recognised_markers]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"marker ids listed twice: {sorted(dupes)}")
        # Every name a user may type must lead to one marker (a clash would silently turn a
        # scored marker into a recorded one, or the reverse).
        owner: dict[str, str] = {}
        named: list[tuple[str, tuple[str, ...]]] = [(m.id, m.aliases) for m in self.markers]
        named += [(m.id, m.aliases) for m in self.recognised_markers]
        for marker_id, aliases in named:
            for written in (marker_id, *aliases):
                key = name_key(written)
                if not key:
                    raise ValueError(
                        f"marker {marker_id}: alias {written!r} has no letter or digit"
                    )
                if owner.setdefault(key, marker_id) != marker_id:
                    raise ValueError(
                        f"marker name {written!r} of {marker_id} is also a name of {owner[key]}"
                    )
        for m in self.markers:
            for site, observations in m.frequencies.items():
                if site not in cells:
                    raise ValueError(
                        f"marker {m.id}: {site!r} is not a site or sub-origin of the model "
                        "(a mixture site takes counts through its sub-origins)"
                    )
                for o in observations:
                    if o.study not in self.studies:
                        raise ValueError(f"marker {m.id}, site {site}: unknown study {o.study!r}")
        scored = {m.id for m in self.markers}
        for g in self.dependence_groups:
            unknown = [x for x in g.markers if x not in scored]
            if unknown:
                raise ValueError(f"dependence group names unknown markers {unknown}")
        return self


# --- site_clues.yaml ------------------------------------------------------------------------


class Count(_Frozen):
    k: int = Field(ge=0)
    n: int = Field(ge=1)

    @model_validator(mode="after")
    def _k_le_n(self) -> Count:
        if self.k > self.n:
            raise ValueError(f"k={self.k} is larger than n={self.n}")
        return self


class ClueEntry(Sourced):
    id: str
    label: str
    kind: Literal["binary", "localising", "neutral"]
    aliases: tuple[str, ...] = ()
    positive: str | None = None
    values: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    frequencies: dict[str, Count] = Field(default_factory=dict)
    exclusive_group: str | None = None
    detection: Count | None = None
    detection_source: str | None = None
    detection_estimate: bool = False
    detection_basis: str | None = None
    false_localisation: Count | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> ClueEntry:
        if self.kind == "binary":
            if self.positive is None or self.positive not in self.values or len(self.values) != 2:
                raise ValueError(f"clue {self.id}: a binary clue needs two values and 'positive'")
            if not self.frequencies:
                raise ValueError(f"clue {self.id}: a binary clue needs per-site frequencies")
        if self.kind == "localising":
            if self.detection is None or self.false_localisation is None:
                raise ValueError(f"clue {self.id}: needs 'detection' and 'false_localisation'")
            if self.detection_source is None:
                raise ValueError(f"clue {self.id}: needs 'detection_source'")
            check_source(self.detection_source)
        return self


class ClueFile(_Frozen):
    version: int
    clues: tuple[ClueEntry, ...]


# --- imaging.yaml ---------------------------------------------------------------------------

Recommendation = Literal["recommended", "consider", "not_recommended"]
ImagingKey = Literal["net_low", "net_mid", "net_high", "nec"]


class Evidence(_Frozen):
    text: str
    source: str
    unverified: bool = False

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        return check_source(value)


class ImagingWhen(_Frozen):
    unknown_primary: bool | None = None
    sites: tuple[str, ...] = ()
    bone_metastases: bool | None = None


class ImagingItem(Sourced):
    id: str
    modality: str
    purpose: str
    applies: dict[ImagingKey, Recommendation]
    when: ImagingWhen | None = None
    evidence: tuple[Evidence, ...]


class ImagingSettings(_Frozen):
    site_threshold: SourcedNumber


class ImagingFile(_Frozen):
    version: int
    settings: ImagingSettings
    items: tuple[ImagingItem, ...]


# --- circulating.yaml -----------------------------------------------------------------------


class UrineBands(Sourced):
    normal_max: float
    equivocal_max: float
    note: str


class CirculatingMarker(_Frozen):
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    performance: tuple[Evidence, ...]
    caveats: tuple[Evidence, ...]
    if_raised: str
    if_normal: str
    urine_bands_mg_per_24h: UrineBands | None = None


class Confounder(Sourced):
    id: str
    label: str
    applies_to: tuple[str, ...]
    effect: Literal["raises", "lowers"]
    aliases: tuple[str, ...] = ()
    advice: str | None = None
    note: str | None = None


class CirculatingFile(_Frozen):
    version: int
    markers: tuple[CirculatingMarker, ...]
    confounders: tuple[Confounder, ...]

    @model_validator(mode="after")
    def _applies_to_known(self) -> CirculatingFile:
        known = {m.id for m in self.markers}
        for c in self.confounders:
            unknown = [x for x in c.applies_to if x not in known]
            if unknown:
                raise ValueError(f"confounder {c.id}: unknown markers {unknown}")
        return self
