"""Clinical word lists and code sets (``knowledge/data/vocabulary.yaml``), read through the one
data loader: the case readers, the work-up and the case library take them from here."""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

from osteodx.knowledge._data import load
from osteodx.knowledge._evidence import Judgement
from osteodx.knowledge._schema import check_source

__all__ = ["Calibration", "Vocabulary", "calibration", "vocabulary"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Explained(_Frozen):
    basis: str
    source: str | None = None

    @field_validator("source")
    @classmethod
    def _citation(cls, value: str | None) -> str | None:
        return None if value is None else check_source(value)


class FindingRef(_Frozen):
    finding: str
    label: str


class Confounder(FindingRef):
    confounder: str


class Mapping(_Explained):
    mapping: dict[str, str]


class Confounders(_Explained):
    findings: tuple[Confounder, ...]


class Findings(_Explained):
    findings: tuple[FindingRef, ...]


class OneFinding(_Explained, FindingRef):
    pass


class Therapies(_Explained):
    therapies: frozenset[str]


class Sites(_Explained):
    sites: frozenset[str]


class Aliases(_Explained):
    aliases: dict[str, str]


class Presence(_Explained):
    absent_words: frozenset[str]
    present_words: frozenset[str]
    absent_interpretations: frozenset[str]
    present_interpretations: frozenset[str]


def _compiles(value: str) -> str:
    """A bad pattern is refused at load as a validation error naming the file and the key."""
    try:
        re.compile(value)
    except re.error as problem:
        raise ValueError(f"{value!r} is not a regular expression ({problem})") from None
    return value


Regex = Annotated[str, AfterValidator(_compiles)]


class TreatmentPattern(_Frozen):
    pattern: Regex
    treatment: str


class SitePattern(_Frozen):
    site: str
    pattern: Regex


class TreatmentPatterns(_Explained):
    patterns: tuple[TreatmentPattern, ...]


class SitePatterns(_Explained):
    patterns: tuple[SitePattern, ...]


class TissueConfirmation(_Explained):
    test: str
    groups: frozenset[str]
    reason: str
    receptor_retesting: dict[str, str]


class ConfirmatoryTests(_Explained):
    """The test (tests.yaml key) that confirms each cause (condition key), where one exists."""

    tests: dict[str, str]
    reason: str


class Tier(_Frozen):
    kind: str
    label: str


class TestOrder(_Frozen):
    """How next tests are listed: by tier, and by expected gain per unit of burden."""

    tiers: tuple[Tier, ...]
    cost_weight: dict[str, float]
    risk_weight: dict[str, float]
    minimum_gain_bits: float
    evidence: Judgement

    def burden(self, cost: str, invasiveness: str) -> float:
        return self.cost_weight.get(cost, 1.0) * self.risk_weight.get(invasiveness, 1.0)

    def tier_of(self, kind: str) -> tuple[int, str]:
        for i, tier in enumerate(self.tiers):
            if tier.kind == kind:
                return i, tier.label
        return len(self.tiers), kind


class Vocabulary(_Frozen):
    circulating_labs: Mapping
    marker_confounders: Confounders
    multifocal_findings: Findings
    bone_pain: OneFinding
    chemotherapy: Therapies
    visceral_sites: Sites
    metastasis_sites: Aliases
    fhir_presence: Presence
    library_treatments: TreatmentPatterns
    library_primary_sites: SitePatterns
    tissue_confirmation: TissueConfirmation
    confirmatory_tests: ConfirmatoryTests
    test_order: TestOrder


@cache
def vocabulary() -> Vocabulary:
    """The shipped word lists and code sets, validated once per process."""
    return load("knowledge/data/vocabulary.yaml", Vocabulary)


class CalibrationBand(_Frozen):
    low: float
    high: float
    right: int
    of: int


class Calibration(_Frozen):
    """Observed accuracy of the top diagnosis by band of its probability (``calibration.yaml``,
    written by ``benchmarks/accuracy.py --write-calibration``): a count k of n on development
    cases for each band."""

    cases: int
    population: str
    command: str
    bands: tuple[CalibrationBand, ...]

    def band_of(self, p: float) -> CalibrationBand | None:
        for band in self.bands:
            if band.low <= p < band.high or (band.high >= 1.0 and p >= band.low):
                return band
        return None


@cache
def calibration() -> Calibration:
    """The observed accuracy of each band, loaded once per process."""
    return load("knowledge/data/calibration.yaml", Calibration)
