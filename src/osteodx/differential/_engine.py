"""Posterior over the diagnosis keys from likelihood ratios, with every contribution explained.

One path for one case and for many: :func:`score` gives the log-posterior of a case from the
same per-term vectors that :func:`explain` itemises, and :func:`score_batch` stacks cases into a
matrix. Math (LIRICAL-style, closed world over the keys):

    log P(k | case) = log prior(k | age band, sex) + a * sum_f log P(f | k) - log Z

with P(excluded f | k) = 1 - P(f | k), ontology-aware matching of HPO terms and a soft penalty
for gate findings (exposure/history) the case does not mention. ``a`` is the tempering setting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from osteodx.case import Case, Finding
from osteodx.differential._compiled import CompiledKB, TermEvidence, age_band_index, compiled_kb
from osteodx.differential._nexttests import ObservedResult, observed
from osteodx.differential._result import Contribution, DiagnosisResult, Differential
from osteodx.knowledge._schema import SEXES

__all__ = [
    "QUIET_LOG10_LR",
    "EvidenceRow",
    "evidence_rows",
    "explain",
    "observed_results",
    "posterior",
    "scope",
    "score",
    "score_batch",
]

Vector = NDArray[np.float64]
QUIET_LOG10_LR = 0.05


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One observation of a case with P(observation | k) for every key: a finding of the case,
    or an exposure/history item it is silent about (``finding`` None, ``gate_id`` set)."""

    finding: Finding | None  # None for a gate the case does not mention
    gate_id: str | None
    evidence: TermEvidence


def evidence_rows(case: Case, kb: CompiledKB) -> list[EvidenceRow]:
    """The rows :func:`score` sums and :func:`explain` itemises, in that order."""
    band = age_band_index(case.age_years)
    rows = [EvidenceRow(f, None, kb.evidence(f.id, f.present, band)) for f in case.findings]
    mentioned = {f.id for f in case.findings}
    mentioned.update(s for r in case.test_results for s in r.supersedes)
    present = [f.id for f in case.findings if f.present]
    for finding_id in kb.unmentioned(mentioned, present):
        rows.append(EvidenceRow(None, finding_id, kb.silence(finding_id, band)))
    return rows


def score(case: Case, kb: CompiledKB | None = None) -> Vector:
    """Unnormalised log-posterior (natural log) over ``kb.keys``."""
    kb = kb or compiled_kb()
    return _score(case, kb, evidence_rows(case, kb), observed_results(case, kb))


def _score(
    case: Case, kb: CompiledKB, rows: list[EvidenceRow], results: list[ObservedResult]
) -> Vector:
    total = kb.log_prior[_prior_index(case, kb)].copy()
    evidence = np.zeros(kb.K)
    for row in rows:
        evidence += row.evidence.log_probability
    for result in results:
        evidence += np.log(result.probability)
    return np.asarray(total + kb.tempering * evidence)


def observed_results(case: Case, kb: CompiledKB) -> list[ObservedResult]:
    """The observed outcomes of work-up tests (a biopsy, a PET) the case reports."""
    return [observed(kb, r.test, r.outcome) for r in case.test_results]


def _prior_index(case: Case, kb: CompiledKB) -> tuple[int, int]:
    sex = case.sex.value
    return age_band_index(case.age_years), SEXES.index(sex) if sex in SEXES else len(SEXES)


def posterior(log_scores: Vector) -> Vector:
    shifted = np.exp(log_scores - log_scores.max(axis=-1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=-1, keepdims=True))


def score_batch(cases: Iterable[Case], kb: CompiledKB | None = None) -> Vector:
    """Posterior probabilities, one row per case (same numbers as :func:`explain`)."""
    kb = kb or compiled_kb()
    matrix = np.array([score(c, kb) for c in cases]).reshape(-1, kb.K)
    return posterior(matrix)


def scope(case: Case, kb: CompiledKB | None = None) -> tuple[bool, str]:
    kb = kb or compiled_kb()
    for f in case.findings:
        if f.present and kb.in_scope_term(f.id):
            where = {"text": "read from the text", "lab": "from a laboratory value"}.get(
                f.origin, "recorded"
            )
            return True, f"sclerotic bone finding present: {f.label} ({where})"
    return False, (
        "no sclerotic bone finding: no increased-bone-density term or descendant, no sclerotic "
        "imaging phrase and no bone-density measurement; the ranking below is not a valid "
        "osteosclerosis differential"
    )


def explain(case: Case, kb: CompiledKB | None = None, top: int | None = None) -> Differential:
    """The explained differential for one case.

    Every diagnosis is ranked with its probability; ``top`` limits the itemised contributions
    to the best ``top`` diagnoses (the others keep an empty ``contributions`` and a composite LR
    of 0), which is what a summary needs and several times faster.
    """
    kb = kb or compiled_kb()
    prior = kb.prior[_prior_index(case, kb)]
    rows = evidence_rows(case, kb)
    results = observed_results(case, kb)
    post = posterior(_score(case, kb, rows, results))
    order = np.argsort(-post, kind="stable")
    explained = [int(k) for k in (order if top is None else order[:top])]
    # All rows at once: P(observation | k), its background under the prior and the log10 LRs.
    matrix = np.stack([r.evidence.probability for r in rows] + [r.probability for r in results])
    backgrounds = (matrix @ prior).tolist() if len(matrix) else []
    all_lrs = kb.tempering * np.log10(matrix / np.asarray(backgrounds)[:, None])
    knowledge = kb.knowledge
    per_condition: list[list[Contribution]] = [[] for _ in range(kb.K)]
    default_source = _default_source(kb)
    default_support = knowledge.priors.settings["unlisted_frequency"].support
    band = age_band_index(case.age_years)
    # Small "not mentioned" contributions are summed into one line per diagnosis, so that the
    # explanation stays readable; their sum still enters the total exactly.
    quiet_lr = [0.0] * kb.K
    quiet_p = [1.0] * kb.K
    quiet_n = [0] * kb.K
    silence_source = knowledge.priors.settings["gate_reporting_rate"].source
    silence_support = knowledge.priors.settings["gate_reporting_rate"].support
    for i, row in enumerate(rows):
        evidence = row.evidence
        background = backgrounds[i]
        probabilities = matrix[i].tolist()
        lrs = all_lrs[i].tolist()
        origin: str
        match: str
        if row.finding is not None:
            f = row.finding
            finding_id, label, present, origin, said = (
                f.id,
                f.label,
                f.present,
                f.origin,
                f.evidence,
            )
        else:
            finding_id = row.gate_id or ""
            label = knowledge.finding_label(finding_id, kb.hpo)
            present, origin, said = False, "not_mentioned", "the case does not mention it"
        for k in explained:
            matched = evidence.matched[k]
            if row.finding is not None:
                match = evidence.match[k]
                source = matched.source if matched else default_source
                estimate = matched.estimate if matched else True
                support = matched.support_for(band) if matched else default_support
                if matched and support is not matched.support:  # an age-band judgement
                    source, estimate = support.citation, True
            else:
                if abs(lrs[k]) < QUIET_LOG10_LR:
                    quiet_lr[k] += lrs[k]
                    quiet_p[k] *= probabilities[k]
                    quiet_n[k] += 1
                    continue
                match, source, estimate = "not_mentioned", silence_source, True
                support = silence_support
            per_condition[k].append(
                Contribution(
                    finding_id,
                    label,
                    present,
                    origin,
                    said,
                    match,
                    matched.finding if matched else None,
                    matched.label if matched else None,
                    probabilities[k],
                    background,
                    lrs[k],
                    source,
                    estimate,
                    support,
                )
            )
    for j, (reported, result) in enumerate(zip(case.test_results, results, strict=True)):
        p = result.probability
        background = backgrounds[len(rows) + j]
        lrs = all_lrs[len(rows) + j].tolist()
        for k in explained:
            per_condition[k].append(
                Contribution(
                    f"test:{result.test.key}",
                    f"{result.test.name}: {result.result}",
                    True,
                    "test",
                    reported.evidence or f"reported at {reported.loc}",
                    "test_result",
                    None,
                    None,
                    float(p[k]),
                    background,
                    lrs[k],
                    result.sources[k],
                    result.estimates[k],
                    result.supports[k],
                )
            )
    for k in explained:
        if quiet_n[k]:
            per_condition[k].append(
                Contribution(
                    "OSX:not_mentioned",
                    f"{quiet_n[k]} other exposures or history items not mentioned",
                    False,
                    "not_mentioned",
                    f"each moves the odds by less than {QUIET_LOG10_LR} log10",
                    "not_mentioned",
                    None,
                    None,
                    quiet_p[k],
                    quiet_p[k] / 10 ** (quiet_lr[k] / kb.tempering),
                    quiet_lr[k],
                    silence_source,
                    True,
                    silence_support,
                )
            )
    diagnoses = []
    for rank, k in enumerate(order, start=1):
        condition = knowledge.conditions[k]
        xref = knowledge.xrefs[condition.key]
        contributions = tuple(sorted(per_condition[k], key=lambda c: -abs(c.log10_lr)))
        diagnoses.append(
            DiagnosisResult(
                key=condition.key,
                name=condition.name,
                group=condition.group,
                rank=rank,
                pretest=float(prior[k]),
                posttest=float(post[k]),
                log10_composite_lr=float(sum(c.log10_lr for c in contributions)),
                contributions=contributions,
                prior_source=condition.prior.source,
                prior_estimate=condition.prior.estimate,
                prior_support=condition.prior.support,
                orpha=xref.orpha,
                omim=xref.omim,
            )
        )
    in_scope, reason = scope(case, kb)
    return Differential(tuple(diagnoses), in_scope, reason)


def _default_source(kb: CompiledKB) -> str | None:
    return kb.knowledge.priors.settings["unlisted_frequency"].source
