"""The light response of ``POST /api/v1/assess?detail=summary``: the ranking with top reasons.

The full assessment itemises every finding for every one of the 33 diagnoses (about 230 kB of
JSON, and most of the time of a request). The summary ranks all diagnoses with the engine's own
``score``/``posterior`` and itemises only the best ``top`` diagnoses, from the same cached
per-term likelihood vectors (the engine's own rows) and the same formula as
:func:`osteodx.differential.explain` (``log10 LR = tempering * log10(P(observation | k) /
P(observation))``, small "not mentioned" contributions summed into one line).
``tests/api/test_summary.py`` holds the two together.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from osteodx.assessment import DISCLAIMER
from osteodx.case import Case
from osteodx.differential import (
    QUIET_LOG10_LR,
    CompiledKB,
    evidence_rows,
    next_tests,
    observed_results,
    posterior,
    scope,
    score,
)
from osteodx.differential._compiled import age_band_index

# The engine's own rows (case findings, unmentioned gates, reported test results), so that the
# summary itemises exactly what ``score`` sums.
from osteodx.knowledge._evidence import Support

__all__ = ["AssessmentSummary", "summarise"]

THRESHOLD = 0.01  # as in DiagnosisResult.reasons_for / reasons_against


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RankedDiagnosis(_Out):
    key: str
    name: str
    probability: float


class Reason(_Out):
    """One finding's contribution to one diagnosis (log10 likelihood ratio) and its source."""

    finding_id: str
    label: str
    present: bool
    log10_lr: float
    source: str | None
    estimate: bool
    evidence: str = Field(
        description="What the number rests on: 'count k/n', 'statement (<HPO frequency>)' or "
        "'judgement'"
    )


class TopDiagnosis(_Out):
    rank: int
    key: str
    name: str
    group: str
    pretest: float
    posttest: float
    reasons_for: list[Reason]
    reasons_against: list[Reason]


class NextTest(_Out):
    key: str
    name: str
    kind: str
    # blood and urine, clinical examination, imaging, genetic testing or tissue
    tier: str
    expected_information_gain_bits: float
    gain_per_burden: float
    separates: list[str]
    # why it is listed whatever its gain (tissue confirmation of a neoplasm), or ""
    reason: str
    source: str | None


class SimilarPatientSummary(_Out):
    case_id: str
    citation: str
    similarity: float


class ReadingWarning(_Out):
    """Something in the case that was not read (an unknown code skipped, a unit guessed ...)."""

    loc: str
    message: str
    fix: str


class AssessmentSummary(_Out):
    """Ranking of every diagnosis, the best ``top`` with their main reasons for and against."""

    detail: Literal["summary"]
    case_id: str
    in_scope: bool
    scope_reason: str
    warnings: list[ReadingWarning]
    ranking: list[RankedDiagnosis]
    top: list[TopDiagnosis]
    next_tests: list[NextTest]
    similar_patients: list[SimilarPatientSummary]
    similar_patients_note: str
    knowledge_version: str
    hpo_version: str
    osteodx_version: str
    disclaimer: str


def _reasons(
    rows: list[Any],
    results: list[Any],
    lrs: np.ndarray[Any, Any],
    gates: np.ndarray[Any, Any],
    j: int,
    k: int,
    kb: CompiledKB,
    limit: int,
    band: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Reasons for and against key ``k`` (column ``j`` of ``lrs``), ordered as ``explain`` does.

    ``explain`` lists the rows in order (small unmentioned gates summed into one last line),
    sorts by |log10 LR| and then by log10 LR, both stable: the result is a stable sort by log10
    LR of that list, so only the reasons shown are built.
    """
    settings = kb.knowledge.priors.settings
    column = lrs[:, j]
    quiet = gates & (np.abs(column) < QUIET_LOG10_LR)
    shown = np.flatnonzero(~quiet)
    values = column[shown]
    quiet_n = int(quiet.sum())
    if quiet_n:
        shown = np.append(shown, -1)  # -1: the summed line
        values = np.append(values, float(column[quiet].sum()))

    def build(i: int, lr: float) -> dict[str, Any]:
        if i < 0:
            return _reason(
                "OSX:not_mentioned",
                f"{quiet_n} other exposures or history items not mentioned",
                False,
                lr,
                settings["gate_reporting_rate"].source,
                True,
                settings["gate_reporting_rate"].support,
            )
        if i >= len(rows):
            result = results[i - len(rows)]
            return _reason(
                f"test:{result.test.key}",
                f"{result.test.name}: {result.result}",
                True,
                lr,
                result.sources[k],
                result.estimates[k],
                result.supports[k],
            )
        row = rows[i]
        if row.finding is None:
            gate = row.gate_id or ""
            label = kb.knowledge.finding_label(gate, kb.hpo)
            silence = settings["gate_reporting_rate"]
            return _reason(gate, label, False, lr, silence.source, True, silence.support)
        matched = row.evidence.matched[k]
        if matched is None:
            unlisted = settings["unlisted_frequency"]
            return _reason(
                row.finding.id,
                row.finding.label,
                row.finding.present,
                lr,
                unlisted.source,
                True,
                unlisted.support,
            )
        support = matched.support_for(band)
        age_judged = support is not matched.support  # an age-band value: our judgement
        return _reason(
            row.finding.id,
            row.finding.label,
            row.finding.present,
            lr,
            support.citation if age_judged else matched.source,
            True if age_judged else matched.estimate,
            support,
        )

    order = np.argsort(-values, kind="stable")
    pro = [build(int(shown[i]), float(values[i])) for i in order[:limit] if values[i] > THRESHOLD]
    back = np.argsort(values, kind="stable")
    con = [build(int(shown[i]), float(values[i])) for i in back[:limit] if values[i] < -THRESHOLD]
    return pro, con


def _reason(
    finding_id: str,
    label: str,
    present: bool,
    lr: float,
    source: str | None,
    estimate: bool,
    support: Support,
) -> dict[str, Any]:
    return {
        "finding_id": finding_id,
        "label": label,
        "present": present,
        "log10_lr": lr,
        "source": source,
        "estimate": estimate,
        "evidence": support.label,
    }


def summarise(
    case: Case,
    kb: CompiledKB,
    *,
    top: int = 5,
    reasons: int = 3,
    tests: int = 0,
    versions: tuple[str, str, str],
) -> dict[str, Any]:
    """The summary as a JSON-ready dict (shape: :class:`AssessmentSummary`)."""
    post = posterior(score(case, kb))
    order = np.argsort(-post, kind="stable")
    rows = evidence_rows(case, kb)
    results = observed_results(case, kb)
    prior = kb.prior_for(case.age_years, case.sex.value)
    best = order[:top]
    vectors = [row.evidence.probability for row in rows] + [r.probability for r in results]
    gates = np.array([row.finding is None for row in rows] + [False] * len(results), dtype=bool)
    if vectors:
        p = np.stack(vectors)
        background = p @ prior
        lrs = kb.tempering * np.log10(p[:, best] / background[:, None])
    else:
        lrs = np.zeros((0, len(best)))
    top_items = []
    for j, k in enumerate(best):
        condition = kb.knowledge.conditions[int(k)]
        pro, con = _reasons(
            rows, results, lrs, gates, j, int(k), kb, reasons, age_band_index(case.age_years)
        )
        top_items.append(
            {
                "rank": j + 1,
                "key": condition.key,
                "name": condition.name,
                "group": condition.group,
                "pretest": float(prior[k]),
                "posttest": float(post[k]),
                "reasons_for": pro,
                "reasons_against": con,
            }
        )
    in_scope, reason = scope(case, kb)
    recommended = next_tests(case, post, kb, limit=tests) if tests > 0 else ()
    return {
        "detail": "summary",
        "case_id": case.case_id,
        "in_scope": in_scope,
        "scope_reason": reason,
        "warnings": [{"loc": w.loc, "message": w.message, "fix": w.fix} for w in case.warnings],
        "ranking": [
            {"key": kb.keys[k], "name": kb.names[k], "probability": float(post[k])} for k in order
        ],
        "top": top_items,
        "next_tests": [
            {
                "key": t.key,
                "name": t.name,
                "kind": t.kind,
                "tier": t.tier,
                "expected_information_gain_bits": t.expected_information_gain_bits,
                "gain_per_burden": t.gain_per_burden,
                "separates": list(t.separates),
                "reason": t.reason,
                "source": t.source,
            }
            for t in recommended
        ],
        "similar_patients": [],
        "similar_patients_note": "",
        "knowledge_version": versions[0],
        "hpo_version": versions[1],
        "osteodx_version": versions[2],
        "disclaimer": DISCLAIMER,
    }
