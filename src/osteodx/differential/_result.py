"""Result objects of the differential: explanation as data, formatted only by renderers."""

from __future__ import annotations

from dataclasses import dataclass

from osteodx.knowledge._evidence import Support

__all__ = [
    "Contribution",
    "DiagnosisResult",
    "Differential",
    "OutcomeForecast",
    "TestRecommendation",
]


@dataclass(frozen=True, slots=True)
class Contribution:
    """How one finding of the case moved one diagnosis (LIRICAL-style likelihood ratio).

    ``probability`` is P(observation | diagnosis); ``background`` is P(observation) averaged over
    all diagnoses with the case's prior; ``log10_lr`` = log10(probability / background) after
    tempering. ``match`` says how the case's term met the knowledge base: exact, specific (case
    term below the condition's term), broader (case term above it), unlisted (engine default), or
    not_mentioned (a gate finding the case is silent about).
    """

    finding_id: str
    label: str
    present: bool
    origin: str
    evidence: str
    match: str
    matched_id: str | None
    matched_label: str | None
    probability: float
    background: float
    log10_lr: float
    source: str | None
    estimate: bool
    # What the probability rests on: a count, a statement or a judgement (with its summary).
    support: Support | None = None


@dataclass(frozen=True, slots=True)
class DiagnosisResult:
    key: str
    name: str
    group: str
    rank: int
    pretest: float
    posttest: float
    log10_composite_lr: float
    contributions: tuple[Contribution, ...]
    prior_source: str | None
    prior_estimate: bool
    orpha: tuple[str, ...] = ()
    omim: tuple[str, ...] = ()
    prior_support: Support | None = None

    def judgement_share(self) -> float:
        """The share of this diagnosis's weight of evidence (the sum of |log10 LR| over its
        contributions) that rests on judgements rather than counts or statements."""
        total = sum(abs(c.log10_lr) for c in self.contributions)
        if total == 0:
            return 0.0
        judged = sum(
            abs(c.log10_lr)
            for c in self.contributions
            if c.support is None or c.support.kind == "judgement"
        )
        return judged / total

    def reasons_for(self, limit: int = 3) -> tuple[Contribution, ...]:
        ranked = sorted(
            (c for c in self.contributions if c.log10_lr > 0.01), key=lambda c: -c.log10_lr
        )
        return tuple(ranked[:limit])

    def reasons_against(self, limit: int = 3) -> tuple[Contribution, ...]:
        ranked = sorted(
            (c for c in self.contributions if c.log10_lr < -0.01), key=lambda c: c.log10_lr
        )
        return tuple(ranked[:limit])


@dataclass(frozen=True, slots=True)
class Differential:
    diagnoses: tuple[DiagnosisResult, ...]
    in_scope: bool
    scope_reason: str


@dataclass(frozen=True, slots=True)
class OutcomeForecast:
    result: str
    probability: float
    top_key_after: str
    top_probability_after: float
    # The leading diagnosis' name, as a clinician reads it.
    top_name_after: str = ""


@dataclass(frozen=True, slots=True)
class TestRecommendation:
    key: str
    name: str
    kind: str
    invasiveness: str
    cost: str
    expected_information_gain_bits: float
    separates: tuple[str, ...]
    outcomes: tuple[OutcomeForecast, ...]
    source: str | None
    # Why the test is listed whatever its gain (tissue confirmation of a neoplasm), or "".
    reason: str = ""
    # Its tier (blood and urine, imaging, tissue ...) and expected gain per unit of burden.
    tier: str = ""
    gain_per_burden: float = 0.0
