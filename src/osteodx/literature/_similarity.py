"""Similarity of a patient to every published patient, as array arithmetic over stored vectors.

For a query profile q and a library case c (formula and weights: docs/literature.md#similarity)::

    similarity(q, c) = sum_k w_k * known_k(q, c) * s_k(q, c) / sum_k w_k * known_k(q)

``s_k`` in [0, 1] is the score of component k (age, sex, bone involvement, lesion type,
distribution, bone sites, other metastases, primary site, histology, grade/Ki-67, IHC, markers,
text). ``known_k(q)`` says the query reports the component, ``known_k(q, c)`` that both do. A
component the published case does not report adds nothing, so sparse case reports rank below
equally similar, fully reported ones; ``coverage`` is the reported share of the query's weight.

`CompiledLibrary` stacks the stored vectors once per library revision; `component_scores`
scores all rows at once (no Python loop over rows) and is used both to rank and, on the top rows,
to itemise what matched and what differed - one scoring path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from osteodx.literature._config import COMPONENTS, similarity_config
from osteodx.literature._features import (
    DISTRIBUTIONS,
    IHC_VALUES,
    SEX_CODES,
    FloatArray,
    Layout,
    Profile,
    encode,
    layout,
)
from osteodx.literature._record import BONE_LESION_TYPES, HISTOLOGY_FAMILIES

__all__ = [
    "Comparison",
    "CompiledLibrary",
    "ComponentScores",
    "component_scores",
    "rank_rows",
]

BoolArray = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One compared feature: the query's value, the published case's value and the score."""

    field: str
    query: str
    case: str
    score: float


@dataclass(frozen=True, slots=True)
class ComponentScores:
    """Per component: score (0-1) and whether both sides report it, for each scored row."""

    scores: dict[str, F64]
    known: dict[str, BoolArray]
    query_weight: float

    def similarity(self) -> F64:
        cfg = similarity_config().weights.values
        total = np.zeros(self._n(), dtype=np.float64)
        for k, s in self.scores.items():
            total += cfg[k] * np.where(self.known[k], s, 0.0)
        return total / self.query_weight if self.query_weight > 0 else total

    def coverage(self) -> F64:
        cfg = similarity_config().weights.values
        total = np.zeros(self._n(), dtype=np.float64)
        for k, known in self.known.items():
            total += cfg[k] * known
        return total / self.query_weight if self.query_weight > 0 else total

    def _n(self) -> int:
        for s in self.scores.values():
            return int(s.shape[0])
        return 0


class CompiledLibrary:
    """The stored vectors of a library revision stacked into arrays, with derived columns."""

    def __init__(
        self,
        ids: Sequence[str],
        matrix: FloatArray,
        text_vectors: FloatArray | None = None,
    ) -> None:
        lay = layout()
        self.ids: tuple[str, ...] = tuple(ids)
        self.matrix = matrix
        self.layout = lay
        sites = matrix[:, lay.sites_slice]
        mets = matrix[:, lay.mets_slice]
        self.sites_known = ~np.isnan(sites[:, 0]) if sites.shape[1] else np.zeros(len(ids), bool)
        self.sites = np.nan_to_num(sites)
        self.sites_sum = self.sites.sum(axis=1)
        self.mets_known = ~np.isnan(mets[:, 0]) if mets.shape[1] else np.zeros(len(ids), bool)
        self.mets = np.nan_to_num(mets)
        self.mets_sum = self.mets.sum(axis=1)
        self.log_ki67 = np.log10(1.0 + matrix[:, lay.KI67].astype(np.float64))
        self.text_vectors = text_vectors

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, index: npt.NDArray[np.intp]) -> CompiledLibrary:
        """A compiled library of some rows only (for itemising the top matches)."""
        text = self.text_vectors[index] if self.text_vectors is not None else None
        return CompiledLibrary([self.ids[i] for i in index], self.matrix[index], text)


def _table(kind: str, names: Sequence[str]) -> F64:
    cfg = similarity_config()
    return np.array([[cfg.pair_score(kind, a, b) for b in names] for a in names], dtype=np.float64)


def _categorical(
    column: FloatArray, q_code: int, table: F64 | None = None
) -> tuple[F64, BoolArray]:
    known = ~np.isnan(column)
    codes = np.nan_to_num(column).astype(np.intp)
    if table is None:
        return (codes == q_code).astype(np.float64), known
    return table[q_code][codes], known


def _jaccard(
    block: FloatArray, row_sum: F64, known: BoolArray, names: Sequence[str], query: frozenset[str]
) -> tuple[F64, BoolArray]:
    q = np.array([1.0 if n in query else 0.0 for n in names], dtype=np.float32)
    inter = block @ q
    union = row_sum + q.sum() - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(union > 0, inter / union, 0.0)
    return s.astype(np.float64), known


def _shared(
    block: FloatArray, names: Sequence[str], values: dict[str, float], exact: bool
) -> tuple[F64, BoolArray]:
    cols = [names.index(n) for n in values]
    sub = block[:, cols].astype(np.float64)
    qv = np.array([values[n] for n in values], dtype=np.float64)
    reported = ~np.isnan(sub)
    agree = (sub == qv).astype(np.float64) if exact else 1.0 - np.abs(sub - qv)
    count = reported.sum(axis=1)
    total = np.where(reported, agree, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return s, count > 0


def query_components(profile: Profile, with_text: bool) -> tuple[str, ...]:
    """The components the query reports (only these count in the denominator)."""
    present = {
        "age": profile.age is not None,
        "sex": profile.sex is not None,
        "bone_involvement": profile.bone_involved is not None,
        "lesion_type": profile.lesion_type is not None,
        "distribution": profile.distribution is not None,
        "bone_sites": bool(profile.bone_sites),
        "other_metastases": bool(profile.other_metastases),
        "primary_site": profile.primary_site is not None,
        "histology": profile.histology is not None,
        "grade_ki67": profile.grade is not None or profile.ki67 is not None,
        "ihc": bool(profile.ihc),
        "markers": bool(profile.markers),
        "text": with_text and bool(profile.text),
    }
    return tuple(k for k in COMPONENTS if present[k])


def component_scores(
    lib: CompiledLibrary, profile: Profile, text_query: FloatArray | None = None
) -> ComponentScores:
    """Every component's score for every row of ``lib`` (vectorised)."""
    cfg = similarity_config()
    lay: Layout = lib.layout
    m = lib.matrix
    q = encode(profile)
    scores: dict[str, F64] = {}
    known: dict[str, BoolArray] = {}
    wanted = query_components(profile, text_query is not None and lib.text_vectors is not None)

    if "age" in wanted:
        ages = m[:, lay.AGE].astype(np.float64)
        known["age"] = ~np.isnan(ages)
        z = (np.nan_to_num(ages) - float(q[lay.AGE])) / cfg.scales.age_sd_years
        scores["age"] = np.exp(-0.5 * z * z)
    if "sex" in wanted:
        scores["sex"], known["sex"] = _categorical(m[:, lay.SEX], SEX_CODES[profile.sex or ""])
    if "bone_involvement" in wanted:
        scores["bone_involvement"], known["bone_involvement"] = _categorical(
            m[:, lay.BONE], int(q[lay.BONE])
        )
    if "lesion_type" in wanted:
        scores["lesion_type"], known["lesion_type"] = _categorical(
            m[:, lay.LESION], int(q[lay.LESION]), _table("lesion_type", BONE_LESION_TYPES)
        )
    if "distribution" in wanted:
        scores["distribution"], known["distribution"] = _categorical(
            m[:, lay.DISTRIBUTION], int(q[lay.DISTRIBUTION]), _table("distribution", DISTRIBUTIONS)
        )
    if "bone_sites" in wanted:
        scores["bone_sites"], known["bone_sites"] = _jaccard(
            lib.sites, lib.sites_sum, lib.sites_known, lay.bone_sites, profile.bone_sites
        )
    if "other_metastases" in wanted:
        scores["other_metastases"], known["other_metastases"] = _jaccard(
            lib.mets, lib.mets_sum, lib.mets_known, lay.other_metastases, profile.other_metastases
        )
    if "primary_site" in wanted:
        col = m[:, lay.PRIMARY]
        known["primary_site"] = ~np.isnan(col)
        scores["primary_site"] = (col == q[lay.PRIMARY]).astype(np.float64)
    if "histology" in wanted:
        scores["histology"], known["histology"] = _categorical(
            m[:, lay.HISTOLOGY], int(q[lay.HISTOLOGY]), _table("histology", HISTOLOGY_FAMILIES)
        )
    if "grade_ki67" in wanted:
        n = len(lib)
        s = np.zeros(n, dtype=np.float64)
        k_known = np.zeros(n, dtype=bool)
        if profile.grade is not None:
            grades = m[:, lay.GRADE].astype(np.float64)
            g_known = ~np.isnan(grades)
            s = np.where(g_known, 1.0 - np.abs(np.nan_to_num(grades) - profile.grade) / 2.0, 0.0)
            k_known = g_known
        if profile.ki67 is not None:
            ki_known = ~np.isnan(lib.log_ki67)
            diff = np.abs(np.nan_to_num(lib.log_ki67) - np.log10(1.0 + profile.ki67))
            s_ki = 1.0 - np.minimum(1.0, diff / cfg.scales.ki67_log10_span)
            s = np.where(ki_known, s_ki, s)
            k_known = k_known | ki_known
        scores["grade_ki67"], known["grade_ki67"] = s, k_known
    if "ihc" in wanted:
        scores["ihc"], known["ihc"] = _shared(
            m[:, lay.ihc_slice], lay.ihc, {n: IHC_VALUES[v] for n, v in profile.ihc}, exact=False
        )
    if "markers" in wanted:
        scores["markers"], known["markers"] = _shared(
            m[:, lay.markers_slice],
            lay.markers,
            {n: 1.0 if e else 0.0 for n, e in profile.markers},
            exact=True,
        )
    if "text" in wanted and lib.text_vectors is not None and text_query is not None:
        cos = lib.text_vectors.astype(np.float64) @ text_query.astype(np.float64)
        norms = np.linalg.norm(lib.text_vectors, axis=1)
        known["text"] = norms > 0
        scores["text"] = np.clip(cos, 0.0, 1.0)
    weight = sum(cfg.weights.values[k] for k in wanted)
    return ComponentScores(scores, known, weight)


def rank_rows(similarity: F64, top: int) -> npt.NDArray[np.intp]:
    """Indexes of the ``top`` best rows, best first; ties keep library order."""
    n = similarity.shape[0]
    if n == 0 or top <= 0:
        return np.zeros(0, dtype=np.intp)
    if top < n:
        part = np.argpartition(-similarity, top - 1)[:top]
        threshold = similarity[part].min()
        candidates = np.flatnonzero(similarity >= threshold)
    else:
        candidates = np.arange(n)
    order = np.lexsort((candidates, -similarity[candidates]))
    best: npt.NDArray[np.intp] = candidates[order][:top].astype(np.intp)
    return best
