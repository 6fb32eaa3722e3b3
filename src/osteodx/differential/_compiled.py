"""The knowledge base compiled once into arrays and per-term likelihood vectors."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from osteodx.knowledge import HpoIndex, Knowledge, hpo_index, load_knowledge
from osteodx.knowledge._schema import (
    AGE_BANDS,
    SEXES,
    ConditionFinding,
    GradedLevel,
    UnlistedFrequency,
)

__all__ = ["CompiledKB", "MatchType", "TermEvidence", "age_band_index", "compiled_kb"]

MatchType = Literal["exact", "specific", "broader", "unlisted", "graded"]
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
    log_probability: Vector  # natural log of probability, precomputed for scoring


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
        self._annotated = frozenset(annotated)
        # term -> annotated terms strictly below it, for "broader" matches in one lookup
        self._annotated_below: dict[str, set[str]] = {}
        for t, ancestors in self._annotated_ancestors.items():
            for a in ancestors:
                self._annotated_below.setdefault(a, set()).add(t)
        # Graded lab levels with a level below them: finding -> (that level, the level itself).
        self.graded: dict[str, tuple[str, GradedLevel]] = {}
        for lab in knowledge.labs:
            for i, level in enumerate(lab.graded):
                parent = lab.graded_parent(i)
                if parent is not None:
                    self.graded[level.finding] = (parent, level)
        self.scope_roots = frozenset(t.id for t in knowledge.scope.hpo_roots)
        self.scope_local = frozenset(knowledge.scope.local)
        self._cache: dict[tuple[str, bool, int], TermEvidence] = {}
        self._spoken: dict[tuple[str, bool], frozenset[str]] = {}
        # Exposures and history: a case summary usually mentions them when they apply, so silence
        # about one that some condition lists counts (weakly) against that condition.
        local = knowledge.local_findings
        listed = {t for ann in self.annotations for t in ann}
        self.silence_findings: tuple[str, ...] = tuple(
            dict.fromkeys(
                [f.finding for _, f in self.gates]
                + sorted(
                    t for t in listed if t in local and local[t].category in ("exposure", "history")
                )
            )
        )
        # Silence finding -> (HPO terms that answer it, terms below which they do not).
        self.answered_by: dict[str, tuple[frozenset[str], frozenset[str]]] = {
            t: (frozenset(local[t].answered_by), frozenset(local[t].not_answered_by))
            for t in self.silence_findings
            if t in local and local[t].answered_by
        }

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
    def evidence(self, term: str, present: bool, band: int = len(AGE_BANDS)) -> TermEvidence:
        """P(observation | k) for every k; ``band`` indexes AGE_BANDS (len = unknown age)."""
        key = (term, present, band)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._compute(term, present, band)
            self._cache[key] = hit
        return hit

    def unlisted_frequency(self, term: str, band: int = -1) -> float:
        """The background of a finding for a cause whose file does not list it, in an age band
        (index into AGE_BANDS; out of range = unknown age)."""
        entry = self.unlisted_entry(term)
        return entry.frequency_for(band) if entry is not None else self.default

    def unlisted_entry(self, term: str) -> UnlistedFrequency | None:
        """The declared background of a term, or of its nearest ancestor that has one: a more
        specific finding ("Polyneuropathy") has the background of the broader one ("Peripheral
        neuropathy") it is a form of."""
        entry = self.knowledge.unlisted.get(term)
        if entry is not None or not term.startswith("HP:") or term not in self.hpo:
            return entry
        declared = [a for a in self.hpo.ancestors(term) if a in self.knowledge.unlisted]
        if not declared:
            return None
        nearest = max(sorted(declared), key=lambda a: len(self.hpo.ancestors(a)))
        return self.knowledge.unlisted[nearest]

    def _compute(self, term: str, present: bool, band: int) -> TermEvidence:
        if term in self.graded:
            return self._graded(term, present, band)
        is_hpo = term.startswith("HP:") and term in self.hpo
        # Sorted, so that ties resolve the same way in every process.
        term_ancestors = tuple(sorted(self.hpo.ancestors(term) & self._annotated)) if is_hpo else ()
        terms_below = tuple(sorted(self._annotated_below.get(term, ())))
        unlisted = self.unlisted_frequency(term, band)
        # A background declared in unlisted.yaml is explained with its own evidence (that of the
        # patient's age band when the background depends on age).
        entry = self.unlisted_entry(term)
        background = None
        if entry is not None:
            in_band = entry.by_age.get(AGE_BANDS[band]) if 0 <= band < len(AGE_BANDS) else None
            background = ConditionFinding(
                finding=term,
                label=entry.label,
                frequency=unlisted,
                evidence=(in_band or entry).evidence,
            )
        probs = np.empty(self.K)
        matches: list[MatchType] = []
        matched: list[ConditionFinding | None] = []
        for k, ann in enumerate(self.annotations):
            p, kind, which = self._match(term, present, ann, term_ancestors, terms_below, band)
            if kind == "unlisted":
                p = unlisted if present else 1 - unlisted
                which = background
            probs[k] = p
            matches.append(kind)
            matched.append(which)
        return TermEvidence(probs, tuple(matches), tuple(matched), np.log(probs))

    def _match(
        self,
        term: str,
        present: bool,
        ann: dict[str, ConditionFinding],
        term_ancestors: tuple[str, ...],
        terms_below: tuple[str, ...],
        band: int,
    ) -> tuple[float, MatchType, ConditionFinding | None]:
        exact = ann.get(term)
        if exact is not None:
            f = exact.frequency_for(band)
            return (f if present else 1 - f), "exact", exact
        # Condition terms more specific than the patient's term (patient term is broader) ...
        below = [ann[t] for t in terms_below if t in ann]
        # ... and more general than it (patient term is specific).
        above = [ann[t] for t in term_ancestors if t in ann]
        if below or above:
            if present:
                if above:
                    closest = max(above, key=lambda a: len(self._annotated_ancestors[a.finding]))
                    return self._specific(closest, band), "specific", closest
                if below:
                    best = max(below, key=lambda a: a.frequency_for(band))
                    return best.frequency_for(band), "broader", best
            else:
                if below:
                    # Excluding a broad term excludes every more specific one.
                    best = max(below, key=lambda a: a.frequency_for(band))
                    return 1 - best.frequency_for(band), "broader", best
                if above:
                    closest = max(above, key=lambda a: len(self._annotated_ancestors[a.finding]))
                    return self._specific_excluded(closest, band), "specific", closest
        return (self.default if present else 1 - self.default), "unlisted", None

    def _graded(self, term: str, present: bool, band: int) -> TermEvidence:
        """A graded lab level counts conditionally on the level below it, which the case holds as
        observed whenever it holds this level (the level implies it):

            P(level | below, k) = P(level | k) / P(below | k)

        for a condition that lists the level (its file lists the level below too, with a higher
        frequency, both unconditional), else the level's ``unlisted_given_parent``. Observed and
        excluded levels then multiply to the probability of the band the value falls in:
        P(raised) x P(>20 | raised) = P(>20), and
        P(raised) x (1 - P(>20 | raised)) = P(raised, not >20); nothing is counted twice.
        """
        parent, level = self.graded[term]
        fallback = level.unlisted_given_parent
        assert fallback is not None  # the schema requires it for a level with a level below
        default = ConditionFinding(
            finding=term,
            label=level.label,
            frequency=fallback.value,
            evidence=fallback.evidence,
        )
        probs = np.empty(self.K)
        matches: list[MatchType] = []
        matched: list[ConditionFinding | None] = []
        for k, ann in enumerate(self.annotations):
            listed = ann.get(term)
            if listed is not None:
                # Loading checked that the level below is listed too, with a higher frequency.
                below = ann[parent].frequency_for(band)
                ratio = min(listed.frequency_for(band) / below, 0.99)
                matches.append("graded")
                matched.append(listed)
            else:
                ratio = fallback.value
                matches.append("unlisted")
                matched.append(default)
            probs[k] = ratio if present else 1 - ratio
        return TermEvidence(probs, tuple(matches), tuple(matched), np.log(probs))

    def _specific(self, annotation: ConditionFinding, band: int) -> float:
        """P(a more specific term | k) when k lists only the broader term: the broader term's
        own frequency. A patient with the specific finding has the broader one; without a
        frequency for the specific form, it counts as the broader finding does, never less
        (sharing the frequency among the broader term's children made "Polyneuropathy" count
        for POEMS barely above the background, where "Peripheral neuropathy" counts 0.98)."""
        return annotation.frequency_for(band)

    def _specific_excluded(self, annotation: ConditionFinding, band: int) -> float:
        """P(a more specific term excluded | k): ruling out one form of a finding says little
        about the others, so the broader frequency is shared among its direct children."""
        f = annotation.frequency_for(band) / max(1, self.hpo.child_count(annotation.finding))
        return 1 - f

    def silence(self, finding_id: str, band: int) -> TermEvidence:
        """P(case silent about a finding | k) = 1 - reporting rate x P(finding | k)."""
        key = (f"silence:{finding_id}", True, band)
        hit = self._cache.get(key)
        if hit is None:
            present = self.evidence(finding_id, True, band)
            probs = np.asarray(1 - self.gate_rate * present.probability)
            hit = TermEvidence(probs, present.match, present.matched, np.log(probs))
            self._cache[key] = hit
        return hit

    def unmentioned(self, mentioned: set[str], present: Iterable[str] = ()) -> list[str]:
        """The silence findings a case says nothing about: neither the term nor a related one is
        mentioned (present or excluded), and no term reported ``present`` answers it
        (``answered_by``, e.g. a lung tumour for lung cancer). The rule is a union over terms, so
        ``unmentioned(S, P)`` is the intersection of ``unmentioned({t}, {t} & P)`` over ``t``."""
        reported = set(present)
        spoken: set[str] = set()
        for term in mentioned:
            spoken |= self.spoken_about(term, term in reported)
        return [f for f in self.silence_findings if f not in spoken]

    def spoken_about(self, term: str, present: bool) -> frozenset[str]:
        """The silence findings one mentioned term speaks about (cached per term and presence):
        the finding itself, one broader or narrower than it, or, reported present, one the term
        answers."""
        key = (term, present)
        hit = self._spoken.get(key)
        if hit is not None:
            return hit
        lineage = {term}
        if term.startswith("HP:") and term in self.hpo:
            lineage |= self.hpo.ancestors(term)
        out = {f for f in self.silence_findings if f in lineage}
        # A mentioned term more general than the silence finding also speaks about it.
        out |= {
            f
            for f in self.silence_findings
            if f.startswith("HP:") and term in self.hpo.ancestors(f)
        }
        if present and term.startswith("HP:"):
            for finding_id, (answering, excepted) in self.answered_by.items():
                if answering & lineage and not excepted & lineage:
                    out.add(finding_id)
        hit = self._spoken[key] = frozenset(out)
        return hit

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
