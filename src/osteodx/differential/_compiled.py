"""The knowledge base compiled once into arrays and per-term likelihood vectors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from osteodx.knowledge import HpoIndex, Knowledge, hpo_index, load_knowledge
from osteodx.knowledge._schema import AGE_BANDS, SEXES, ConditionFinding

__all__ = ["CompiledKB", "MatchType", "TermEvidence", "age_band_index", "compiled_kb"]

MatchType = Literal["exact", "specific", "broader", "unlisted"]
Vector = NDArray[np.float64]

# Index of the "unknown" band and sex in the prior table (averages over the known ones).
UNKNOWN = -1


def age_band_index(age_years: float | None) -> int:
    if age_years is None:
        return len(AGE_BANDS)
    if age_years < 18:
        return 0
    if age_years < 40:
        return 1
    if age_years < 60:
        return 2
    return 3


@dataclass(frozen=True, slots=True)
class TermEvidence:
    """P(observation | condition) for every condition, with how each was matched."""

    probability: Vector  # shape (K,)
    match: tuple[MatchType, ...]
    matched: tuple[ConditionFinding | None, ...]


class CompiledKB:
    """Prior table, annotations and cached per-term likelihood vectors."""

    def __init__(self, knowledge: Knowledge, hpo: HpoIndex) -> None:
        self.knowledge = knowledge
        self.hpo = hpo
        self.keys: tuple[str, ...] = knowledge.keys
        self.names: tuple[str, ...] = tuple(c.name for c in knowledge.conditions)
        self.K = len(self.keys)
        self.default = knowledge.setting("unlisted_frequency")
        self.gate_rate = knowledge.setting("gate_reporting_rate")
        self.tempering = knowledge.setting("likelihood_tempering")
        self.annotations: list[dict[str, ConditionFinding]] = [
            {f.finding: f for f in c.findings} for c in knowledge.conditions
        ]
        self.prior = self._prior_table()
        self.log_prior = np.log(np.clip(self.prior, 1e-300, None))
        # Gate findings: (condition index, finding)
        self.gates: tuple[tuple[int, ConditionFinding], ...] = tuple(
            (k, f) for k, c in enumerate(knowledge.conditions) for f in c.findings if f.gate
        )
        annotated = {t for ann in self.annotations for t in ann if t.startswith("HP:")}
        self._annotated_ancestors = {t: hpo.ancestors(t) for t in annotated}
        self.scope_roots = frozenset(t.id for t in knowledge.scope.hpo_roots)
        self.scope_local = frozenset(knowledge.scope.local)
        self._present: dict[str, TermEvidence] = {}
        self._excluded: dict[str, TermEvidence] = {}

    # --- priors -----------------------------------------------------------------------------
    def _prior_table(self) -> NDArray[np.float64]:
        """prior[band, sex, k] with an extra 'unknown' row for band and for sex."""
        kb = self.knowledge
        nb, ns = len(AGE_BANDS), len(SEXES)
        table = np.zeros((nb + 1, ns + 1, self.K))
        for b, band in enumerate(AGE_BANDS):
            for s, sex in enumerate(SEXES):
                for group, group_prior in kb.priors.groups.items():
                    members = [k for k, c in enumerate(kb.conditions) if c.group == group]
                    weights = np.array(
                        [getattr(kb.conditions[k].prior.weights[band], sex) for k in members]
                    )
                    total = weights.sum()
                    if total <= 0:
                        continue
                    mass = getattr(group_prior.weights[band], sex)
                    table[b, s, members] = mass * weights / total
                table[b, s] /= table[b, s].sum()
        table[:nb, ns] = table[:nb, :ns].mean(axis=1)
        table[nb] = table[:nb].mean(axis=0)
        return table

    def prior_for(self, age_years: float | None, sex: str) -> Vector:
        s = SEXES.index(sex) if sex in SEXES else len(SEXES)
        return np.asarray(self.prior[age_band_index(age_years), s])

    # --- per-term evidence ------------------------------------------------------------------
    def evidence(self, term: str, present: bool) -> TermEvidence:
        cache_ = self._present if present else self._excluded
        hit = cache_.get(term)
        if hit is None:
            hit = self._compute(term, present)
            cache_[term] = hit
        return hit

    def _compute(self, term: str, present: bool) -> TermEvidence:
        is_hpo = term.startswith("HP:") and term in self.hpo
        term_ancestors = self.hpo.ancestors(term) if is_hpo else frozenset()
        probs = np.empty(self.K)
        matches: list[MatchType] = []
        matched: list[ConditionFinding | None] = []
        for k, ann in enumerate(self.annotations):
            p, kind, which = self._match(term, present, ann, term_ancestors, is_hpo)
            probs[k], kind_k = p, kind
            matches.append(kind_k)
            matched.append(which)
        return TermEvidence(probs, tuple(matches), tuple(matched))

    def _match(
        self,
        term: str,
        present: bool,
        ann: dict[str, ConditionFinding],
        term_ancestors: frozenset[str],
        is_hpo: bool,
    ) -> tuple[float, MatchType, ConditionFinding | None]:
        exact = ann.get(term)
        if exact is not None:
            f = exact.frequency
            return (f if present else 1 - f), "exact", exact
        if is_hpo:
            # Condition terms more specific than the patient's term (patient term is broader).
            below = [a for t, a in ann.items() if term in self._annotated_ancestors.get(t, ())]
            # Condition terms more general than the patient's term (patient term is specific).
            above = [a for t, a in ann.items() if t in term_ancestors]
            if present:
                if above:
                    closest = max(above, key=lambda a: len(self._annotated_ancestors[a.finding]))
                    return self._specific(closest), "specific", closest
                if below:
                    best = max(below, key=lambda a: a.frequency)
                    return best.frequency, "broader", best
            else:
                if below:
                    # Excluding a broad term excludes every more specific one.
                    best = max(below, key=lambda a: a.frequency)
                    return 1 - best.frequency, "broader", best
                if above:
                    closest = max(above, key=lambda a: len(self._annotated_ancestors[a.finding]))
                    return 1 - self._specific(closest), "specific", closest
        return (self.default if present else 1 - self.default), "unlisted", None

    def _specific(self, annotation: ConditionFinding) -> float:
        """P(a more specific term | k) from k's frequency of the broader term: the frequency is
        shared among the broader term's direct children (no finer knowledge is available)."""
        return annotation.frequency / max(1, self.hpo.child_count(annotation.finding))

    def gate_silence(self, gate_id: str) -> TermEvidence:
        """P(case silent about a gate finding | k) = 1 - reporting rate x P(finding | k)."""
        key = f"silence:{gate_id}"
        hit = self._present.get(key)
        if hit is None:
            present = self.evidence(gate_id, True)
            probs = 1 - self.gate_rate * present.probability
            hit = TermEvidence(np.asarray(probs), present.match, present.matched)
            self._present[key] = hit
        return hit

    def relates(self, case_term: str, gate_term: str) -> bool:
        """Whether a case's finding says something about a gate finding (same or related term)."""
        if case_term == gate_term:
            return True
        if case_term.startswith("HP:") and gate_term.startswith("HP:"):
            return gate_term in self.hpo.ancestors(
                case_term
            ) or case_term in self._annotated_ancestors.get(gate_term, frozenset())
        return False

    def in_scope_term(self, term: str) -> bool:
        if term in self.scope_local or term in self.scope_roots:
            return True
        return term.startswith("HP:") and bool(self.scope_roots & self.hpo.ancestors(term))


def log10(x: float) -> float:
    return math.log10(x) if x > 0 else -math.inf


@cache
def compiled_kb() -> CompiledKB:
    """The process-wide compiled knowledge base."""
    return CompiledKB(load_knowledge(), hpo_index())
