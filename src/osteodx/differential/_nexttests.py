"""Next tests: expected information gain of each candidate test, chosen and listed in a
clinician's order (tier, then gain per burden)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
from numpy.typing import NDArray

from osteodx.case import Case
from osteodx.differential._compiled import CompiledKB, compiled_kb
from osteodx.differential._result import OutcomeForecast, TestRecommendation
from osteodx.knowledge._evidence import Support
from osteodx.knowledge._schema import WorkupTest
from osteodx.knowledge._vocabulary import vocabulary

__all__ = ["ObservedResult", "entropy_bits", "expected_information_gain", "next_tests", "observed"]

Matrix = NDArray[np.float64]


def entropy_bits(p: NDArray[np.float64]) -> float:
    q = p[p > 0]
    return float(-(q * np.log2(q)).sum())


@dataclass(frozen=True, slots=True)
class _CompiledTest:
    test: WorkupTest
    results: tuple[str, ...]  # outcome names, the last is the implicit "none of these"
    likelihood: Matrix  # shape (n_outcomes, K); columns sum to 1


@cache
def _compiled_tests(kb: CompiledKB) -> tuple[_CompiledTest, ...]:
    out = []
    for test in kb.knowledge.tests:
        rows = []
        for outcome in test.outcomes:
            row = np.array(
                [
                    (outcome.given[key].p if key in outcome.given else outcome.otherwise.p)
                    for key in kb.keys
                ]
            )
            rows.append(row)
        matrix = np.vstack(rows)
        total = matrix.sum(axis=0)
        # Outcome probabilities above 1 in total would be a knowledge error; rescale defensively.
        over = total > 0.999
        matrix[:, over] *= 0.999 / total[over]
        matrix = np.vstack([matrix, 1 - matrix.sum(axis=0)])
        names = (*(o.result for o in test.outcomes), "negative / none of these")
        out.append(_CompiledTest(test, names, matrix))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ObservedResult:
    """P(observed outcome | condition) for every key, with each probability's provenance."""

    test: WorkupTest
    result: str
    probability: NDArray[np.float64]  # shape (K,)
    sources: tuple[str | None, ...]
    estimates: tuple[bool, ...]
    supports: tuple[Support, ...]


def observed(kb: CompiledKB, test_key: str, outcome: int) -> ObservedResult:
    """The likelihood row of one observed outcome, the same numbers the test ranking uses.

    ``outcome`` indexes the test's declared outcomes; ``len(outcomes)`` is the implicit
    negative result, whose probability is 1 minus the declared ones (its source is the test's).
    """
    for compiled in _compiled_tests(kb):
        if compiled.test.key != test_key:
            continue
        test = compiled.test
        # Floor: a result the knowledge base calls impossible must not zero a diagnosis out.
        row = np.clip(compiled.likelihood[outcome], 1e-4, None)
        if outcome < len(test.outcomes):
            declared = test.outcomes[outcome]
            probs = [declared.given.get(key, declared.otherwise) for key in kb.keys]
            sources = tuple(p.source for p in probs)
            estimates = tuple(p.estimate for p in probs)
            supports = tuple(p.support for p in probs)
        else:
            sources = tuple(test.source for _ in kb.keys)
            estimates = tuple(True for _ in kb.keys)
            # The negative result is 1 minus the declared outcomes of each condition.
            rest = Support("judgement", "one minus the probabilities of the declared results")
            supports = tuple(rest for _ in kb.keys)
        return ObservedResult(test, compiled.results[outcome], row, sources, estimates, supports)
    raise KeyError(test_key)


def expected_information_gain(prior: NDArray[np.float64], likelihood: Matrix) -> float:
    """H(prior) - E_outcome[H(posterior | outcome)], in bits."""
    joint = likelihood * prior  # (n_outcomes, K)
    p_outcome = joint.sum(axis=1)
    gain = entropy_bits(prior)
    for o, p_o in enumerate(p_outcome):
        if p_o > 0:
            gain -= p_o * entropy_bits(joint[o] / p_o)
    return float(max(gain, 0.0))


def next_tests(
    case: Case, post: NDArray[np.float64], kb: CompiledKB | None = None, limit: int = 8
) -> tuple[TestRecommendation, ...]:
    """Candidate tests ranked by expected information gain; tests already answered are skipped."""
    kb = kb or compiled_kb()
    known = {f.id for f in case.findings} | {m.analyte for m in case.measurements}
    done = {r.test for r in case.test_results}
    recommendations = []
    top = np.argsort(-post)[:5]
    for compiled in _compiled_tests(kb):
        if known & set(compiled.test.answered_by) or compiled.test.key in done:
            continue
        gain = expected_information_gain(post, compiled.likelihood)
        joint = compiled.likelihood * post
        p_outcome = joint.sum(axis=1)
        forecasts = []
        for o, p_o in enumerate(p_outcome):
            if p_o <= 0:
                continue
            after = joint[o] / p_o
            best = int(np.argmax(after))
            forecasts.append(
                OutcomeForecast(
                    compiled.results[o],
                    float(p_o),
                    kb.keys[best],
                    float(after[best]),
                    top_name_after=kb.names[best],
                )
            )
        # Which of the leading diagnoses the test tells apart (outcome profile differs).
        separates = tuple(
            kb.keys[k]
            for k in top
            if np.abs(compiled.likelihood[:, k] - compiled.likelihood[:, top[0]]).max() > 0.2
            or k == top[0]
        )
        recommendations.append(
            TestRecommendation(
                key=compiled.test.key,
                name=compiled.test.name,
                kind=compiled.test.kind,
                invasiveness=compiled.test.invasiveness,
                cost=compiled.test.cost,
                expected_information_gain_bits=gain,
                separates=separates,
                outcomes=tuple(forecasts),
                source=compiled.test.source,
            )
        )
    return tuple(_in_clinical_order(recommendations, post, kb, limit))


def _in_clinical_order(
    recommendations: list[TestRecommendation],
    post: NDArray[np.float64],
    kb: CompiledKB,
    limit: int,
) -> list[TestRecommendation]:
    """The tests a clinician would order: chosen by expected gain per unit of burden (cost x
    risk), listed by tier (blood and urine first, tissue last), best value first in a tier; a
    leading neoplasm's tissue confirmation is added whatever its gain."""
    order = vocabulary().test_order
    valued = []
    for r in recommendations:
        burden = order.burden(r.cost, r.invasiveness)
        _, label = order.tier_of(r.kind)
        valued.append(
            replace(r, tier=label, gain_per_burden=r.expected_information_gain_bits / burden)
        )
    useful = [r for r in valued if r.expected_information_gain_bits >= order.minimum_gain_bits]
    # Half the list by value for burden (the cheap decisive tests), the rest by gain alone (the
    # most informative, whatever they cost): a clinician orders both.
    by_value = sorted(useful, key=lambda r: -r.gain_per_burden)[: (limit + 1) // 2]
    picked = {r.key for r in by_value}
    by_gain = [r for r in useful if r.key not in picked]
    by_gain.sort(key=lambda r: -r.expected_information_gain_bits)
    chosen = _with_confirmation([*by_value, *by_gain][:limit], valued, post, kb, limit)
    return sorted(chosen, key=lambda r: (order.tier_of(r.kind)[0], -r.gain_per_burden))


def _with_confirmation(
    chosen: list[TestRecommendation],
    candidates: list[TestRecommendation],
    post: NDArray[np.float64],
    kb: CompiledKB,
    limit: int,
) -> list[TestRecommendation]:
    """The leading cause's confirmatory test, and for a leading neoplasm tissue confirmation, are
    listed whatever their expected gain: a high posterior is no diagnosis (a near-certain
    "metastases" would label an early cancer stage IV), and a settled differential still needs
    the test that establishes it. Where re-testing the tumour's receptors guides treatment, the
    biopsy says so. They replace the last of the other tests so that the list keeps its length."""
    if limit <= 0:
        return chosen
    leading = kb.knowledge.conditions[int(np.argmax(post))]
    by_key = {r.key: r for r in candidates}  # a test already done or answered is not a candidate
    forced: list[TestRecommendation] = []
    # Tissue first: with room for one test only, a neoplasm's histology matters most.
    tissue = vocabulary().tissue_confirmation
    biopsy = by_key.get(tissue.test)
    if leading.group in tissue.groups and biopsy is not None:
        retest = tissue.receptor_retesting.get(leading.key)
        forced.append(replace(biopsy, reason=tissue.reason + (f"; {retest}" if retest else "")))
    confirm = vocabulary().confirmatory_tests
    confirming = by_key.get(confirm.tests.get(leading.key, ""))
    if confirming is not None:
        forced.append(replace(confirming, reason=f"{confirm.reason} ({leading.name})"))
    forced = forced[:limit]
    forced_keys = {r.key for r in forced}
    others = [r for r in chosen if r.key not in forced_keys]
    return [*others[: limit - len(forced)], *forced]
