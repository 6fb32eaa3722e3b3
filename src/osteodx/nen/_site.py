"""Site of origin of a NET metastasis: a naive-Bayes posterior over primary sites.

Each marker-site frequency is a mixture of per-study Beta posteriors, Beta(1 + k, 1 + n - k),
with equal weight per study (``data/site_markers.yaml``), so small n and disagreement between
studies show as wide intervals. The posterior multiplies the prior by the posterior-predictive
probability of each result; every marker's contribution is its log10 likelihood ratio against
the prior-predictive probability of that result, so contributions add up exactly:
``log10 posterior(s) = log10 prior(s) + sum of contributions(s) + constant``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from osteodx.nen._classify import NenWarning
from osteodx.nen._errors import NenInputError, choice_error
from osteodx.nen._inputs import _Input
from osteodx.nen._load import clues as clue_data
from osteodx.nen._load import name_key, site_markers
from osteodx.nen._schema import ClueEntry, Observation
from osteodx.nen._vocab import (
    MarkerStatus,
    canonical_site,
    marker_status,
    origin_sites,
    require_marker,
    site_entry,
)

__all__ = [
    "EvidenceItem",
    "MarkerRecommendation",
    "MarkerResult",
    "SiteContribution",
    "SitePosterior",
    "SiteProbability",
    "StudyCount",
    "accepted_clues",
    "marker_frequency_table",
    "recommend_markers",
    "site_posterior",
    "sub_origin_frequency_table",
    "sub_origin_shares",
]

_SEED = 20261125
_PAX8_MONOCLONAL_CLONES = {"pax8r1", "bc12"}


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MarkerResult(_Input):
    """One immunohistochemistry result; ``clone`` matters for PAX8 (PAX8R1/BC12 vs others).

    ``percent_cells`` (share of tumour cells stained), when given with a positive or focal
    result, is read against the studies' positivity cut-offs: >= 10 % counts as positive at
    full weight, 5 to < 10 % as focal, < 5 % as negative (the studies would not have counted
    it).
    """

    result: MarkerStatus
    clone: str | None = None
    percent_cells: float | None = Field(default=None, ge=0, le=100)


class StudyCount(_Result):
    """One study's count behind a frequency: k positive of n, as Beta(1 + k, 1 + n - k)."""

    study: str
    k: int
    n: int
    specimen: str
    source: str | None
    scope: str | None = None
    estimate: bool = False
    basis: str | None = None


class SiteContribution(_Result):
    """What one marker or clue did to one site.

    ``frequency`` is the mixture mean of P(positive | site) with its credible interval;
    ``p_result`` the probability of the observed result; ``log10_lr`` the contribution
    (log10 likelihood ratio against the prior-predictive probability of the result) and
    ``log10_lr_interval`` the same with the frequency at its interval ends. ``imputed``
    means there were no data for this site (average of the other sites, low weight).
    """

    evidence: str
    kind: Literal["marker", "clue"]
    result: str
    weight: float
    frequency: float
    frequency_interval: tuple[float, float]
    p_result: float
    p_result_interval: tuple[float, float]
    log10_lr: float
    log10_lr_interval: tuple[float, float]
    imputed: bool = False
    studies: tuple[StudyCount, ...] = ()


class SiteProbability(_Result):
    site: str
    label: str
    prior: float
    probability: float
    probability_interval: tuple[float, float]
    log10_lr_total: float
    contributions: tuple[SiteContribution, ...]


class EvidenceItem(_Result):
    """How one input was used: scored, weighted, recorded only, or not done."""

    name: str
    id: str
    kind: Literal["marker", "clue"]
    result: str
    used: Literal["scored", "not_done", "not_site_informative", "neutral_clue"]
    weight: float = 0.0
    reason: str | None = None


class SitePosterior(_Result):
    """Posterior over primary sites, best first, with every contribution and the prior used."""

    sites: tuple[SiteProbability, ...]
    prior_name: Literal["well", "poor"]
    prior_source: str | None
    prior_basis: str | None
    evidence: tuple[EvidenceItem, ...]
    warnings: tuple[NenWarning, ...]
    credible_level: float
    method: str

    def top(self, n: int = 1) -> tuple[str, ...]:
        return tuple(s.site for s in self.sites[:n])

    def probability(self, site: str) -> float:
        return next(s.probability for s in self.sites if s.site == site)


class MarkerRecommendation(_Result):
    """A marker worth staining next, ranked by expected information gain (bits)."""

    marker: str
    label: str
    expected_information_gain_bits: float
    p_positive: float
    if_positive: tuple[str, float]
    if_negative: tuple[str, float]
    sources: tuple[str, ...]


# --- the compiled model --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cell:
    """P(positive | site) for one marker or clue at one site, as a Beta mixture."""

    a: NDArray[np.float64]
    b: NDArray[np.float64]
    mean: float
    interval: tuple[float, float]
    imputed: bool
    studies: tuple[StudyCount, ...]


def _mixture_interval(
    a: NDArray[np.float64], b: NDArray[np.float64], level: float
) -> tuple[float, float]:
    """Equal-tailed interval of an equal-weight Beta mixture (bisection on its CDF)."""
    # scipy.special is imported here, once per process when the model is compiled, so that
    # importing osteodx.nen (e.g. only to classify) stays fast.
    from scipy.special import betainc  # type: ignore[import-untyped]

    def quantile(q: float) -> float:
        lo, hi = 0.0, 1.0
        for _ in range(50):
            mid = (lo + hi) / 2
            if float(np.mean(betainc(a, b, mid))) < q:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    return quantile((1 - level) / 2), quantile(1 - (1 - level) / 2)


def _cell(
    components: Sequence[tuple[float, float]],
    imputed: bool,
    studies: tuple[StudyCount, ...],
    level: float,
) -> _Cell:
    a = np.array([c[0] for c in components], dtype=np.float64)
    b = np.array([c[1] for c in components], dtype=np.float64)
    mean = float(np.mean(a / (a + b)))
    return _Cell(a, b, mean, _mixture_interval(a, b, level), imputed, studies)


def _count_cell(
    study: str,
    k: int,
    n: int,
    source: str,
    estimate: bool,
    basis: str | None,
    level: float,
) -> _Cell:
    """The cell of one k-of-n count, Beta(1 + k, 1 + n - k), with its study record."""
    count = StudyCount(
        study=study, k=k, n=n, specimen="mixed", source=source, estimate=estimate, basis=basis
    )
    return _cell([(1 + k, 1 + n - k)], False, (count,), level)


@dataclass(frozen=True, slots=True)
class _Feature:
    """A scorable piece of evidence: one cell per component (a site, or a sub-origin of one)."""

    id: str
    label: str
    kind: Literal["marker", "clue"]
    cells: tuple[_Cell, ...]
    group: str | None = None


@dataclass(frozen=True, slots=True)
class _Shares:
    """Dirichlet(alpha) shares of the sub-origins of one mixture site, for one prior."""

    components: tuple[int, ...]  # component indices
    alpha: NDArray[np.float64]

    @property
    def mean(self) -> NDArray[np.float64]:
        return np.asarray(self.alpha / np.sum(self.alpha), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Model:
    sites: tuple[str, ...]
    labels: tuple[str, ...]
    # Components: every plain site is one component; a mixture site has one per sub-origin.
    component_ids: tuple[str, ...]
    component_labels: tuple[str, ...]
    site_of: NDArray[np.intp]  # component -> site index
    members: tuple[tuple[int, ...], ...]  # site index -> its component indices
    priors: dict[str, NDArray[np.float64]]  # site priors
    shares: dict[str, tuple[_Shares, ...]]  # prior name -> shares of each mixture site
    share_notes: dict[str, str]
    markers: dict[str, _Feature]
    recognised: dict[str, str]
    marker_labels: dict[str, str]
    marker_notes: dict[str, str]
    groups: dict[str, str]
    clue_entries: dict[str, ClueEntry]
    clue_index: dict[str, str]
    binary_clues: dict[str, _Feature]
    localising: dict[str, tuple[_Cell, _Cell]]
    focal_weight: float
    cutoff_low: float
    cutoff_high: float
    dependent_weight: float
    level: float
    draws: int

    def component_prior(self, prior: str) -> NDArray[np.float64]:
        """Prior of every component: site prior times the mean share of the sub-origin."""
        out = self.priors[prior][self.site_of].astype(np.float64)
        for sh in self.shares[prior]:
            out[list(sh.components)] *= sh.mean
        return out

    def within_site_shares(self, prior: str) -> NDArray[np.float64]:
        """Share of each component within its site (1 for a plain site)."""
        out = np.ones(len(self.component_ids))
        for sh in self.shares[prior]:
            out[list(sh.components)] = sh.mean
        return out


def _study_count(o: Observation, study_source: str, prefix: str | None) -> StudyCount:
    scope = o.scope
    if prefix is not None:
        scope = f"{prefix}: {scope}" if scope else prefix
    return StudyCount(
        study=o.study,
        k=o.k,
        n=o.n,
        specimen=o.specimen,
        source=study_source,
        scope=scope,
        estimate=o.estimate,
        basis=o.basis,
    )


@functools.cache
def _model() -> _Model:
    data = site_markers()
    s = data.settings
    level = s.credible_level.value
    sites = tuple(x.id for x in data.sites)
    mixtures = {m.site: m for m in data.mixtures}
    comp_ids: list[str] = []
    comp_labels: list[str] = []
    site_of: list[int] = []
    members: list[tuple[int, ...]] = []
    for j, site in enumerate(sites):
        start = len(comp_ids)
        if site in mixtures:
            for sub in mixtures[site].components:
                comp_ids.append(sub.id)
                comp_labels.append(sub.label)
                site_of.append(j)
        else:
            comp_ids.append(site)
            comp_labels.append(data.sites[j].label)
            site_of.append(j)
        members.append(tuple(range(start, len(comp_ids))))
    is_sub = {x.id for m in data.mixtures for x in m.components}

    pseudo = s.imputed_pseudo_count.value
    markers: dict[str, _Feature] = {}
    for m in data.markers:
        known: dict[str, _Cell] = {}
        for i, comp in enumerate(comp_ids):
            obs = m.frequencies.get(comp, ())
            if obs:
                prefix = comp_labels[i] if comp in is_sub else None
                counts = tuple(_study_count(o, data.studies[o.study].cited, prefix) for o in obs)
                known[comp] = _cell([(1 + o.k, 1 + o.n - o.k) for o in obs], False, counts, level)
        average = float(np.mean([c.mean for c in known.values()]))
        marker_cells = tuple(
            known[comp]
            if comp in known
            else _cell([(average * pseudo, (1 - average) * pseudo)], True, (), level)
            for comp in comp_ids
        )
        markers[m.id] = _Feature(m.id, m.label, "marker", marker_cells)
    groups: dict[str, str] = {}
    for i, g in enumerate(data.dependence_groups):
        for marker in g.markers:
            groups[marker] = f"markers{i}"
    markers = {
        k: _Feature(v.id, v.label, v.kind, v.cells, groups.get(k)) for k, v in markers.items()
    }

    clue_entries: dict[str, ClueEntry] = {}
    clue_index: dict[str, str] = {}
    binary: dict[str, _Feature] = {}
    localising: dict[str, tuple[_Cell, _Cell]] = {}
    for c in clue_data().clues:
        clue_entries[c.id] = c
        for name in (c.id, *c.aliases):
            clue_index[name_key(name)] = c.id
        if c.kind == "binary":
            site_cells = [
                _cell(
                    [
                        (
                            1 + c.frequencies[site].k,
                            1 + c.frequencies[site].n - c.frequencies[site].k,
                        )
                    ],
                    False,
                    (
                        StudyCount(
                            study=c.id,
                            k=c.frequencies[site].k,
                            n=c.frequencies[site].n,
                            specimen="mixed",
                            source=c.source,
                            estimate=c.estimate,
                            basis=c.basis,
                        ),
                    ),
                    level,
                )
                for site in sites
            ]
            # a clue is declared per site: every sub-origin of a mixture site shares it
            cells = tuple(site_cells[j] for j in site_of)
            binary[c.id] = _Feature(c.id, c.label, "clue", cells, c.exclusive_group)
        elif c.kind == "localising":
            assert c.detection is not None and c.false_localisation is not None
            assert c.detection_source is not None
            det, fal = c.detection, c.false_localisation
            localising[c.id] = (
                _count_cell(
                    c.id,
                    det.k,
                    det.n,
                    c.detection_source,
                    c.detection_estimate,
                    c.detection_basis,
                    level,
                ),
                _count_cell(c.id, fal.k, fal.n, c.source or "", c.estimate, c.basis, level),
            )
    shares: dict[str, tuple[_Shares, ...]] = {}
    share_notes: dict[str, str] = {}
    index = {c: i for i, c in enumerate(comp_ids)}
    for prior in data.priors:
        entries = []
        for mix in data.mixtures:
            sh = mix.shares[prior]
            comps = tuple(index[x.id] for x in mix.components)
            alpha = np.array([1.0 + sh.counts[x.id] for x in mix.components])
            entries.append(_Shares(comps, alpha))
            share_notes[prior] = sh.basis or ""
        shares[prior] = tuple(entries)
    return _Model(
        sites=sites,
        labels=tuple(x.label for x in data.sites),
        component_ids=tuple(comp_ids),
        component_labels=tuple(comp_labels),
        site_of=np.array(site_of, dtype=np.intp),
        members=tuple(members),
        priors={k: np.array([p.weights[site] for site in sites]) for k, p in data.priors.items()},
        shares=shares,
        share_notes=share_notes,
        markers=markers,
        recognised={m.id: m.reason for m in data.recognised_markers},
        marker_labels={
            **{m.id: m.label for m in data.markers},
            **{m.id: m.label for m in data.recognised_markers},
        },
        marker_notes={m.id: m.note for m in data.markers if m.note},
        groups=groups,
        clue_entries=clue_entries,
        clue_index=clue_index,
        binary_clues=binary,
        localising=localising,
        focal_weight=s.focal_weight.value,
        cutoff_low=s.positive_cutoff_low_percent.value,
        cutoff_high=s.positive_cutoff_high_percent.value,
        dependent_weight=s.dependent_weight.value,
        level=level,
        draws=int(s.monte_carlo_draws.value),
    )


# --- evidence ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scored:
    """One scored input: per-site cells, how to read them and its weight."""

    id: str
    kind: Literal["marker", "clue"]
    result: str
    positive: bool  # the likelihood is f (True) or 1 - f (False)
    weight: float
    cells: tuple[_Cell, ...]


def _normalise_markers(
    markers: Mapping[str, MarkerResult | str] | Iterable[tuple[str, MarkerResult | str]],
) -> list[tuple[str, str, MarkerResult]]:
    items = markers.items() if isinstance(markers, Mapping) else markers
    seen: dict[str, tuple[str, MarkerResult]] = {}
    for name, value in items:
        field = f"markers.{name}"
        marker = require_marker(str(name))
        result = (
            value
            if isinstance(value, MarkerResult)
            else MarkerResult(result=marker_status(value, field, marker))
        )
        if marker == "pax8" and result.clone and name_key(result.clone) in _PAX8_MONOCLONAL_CLONES:
            marker = "pax8_monoclonal"
        if marker in seen and seen[marker][1].result != result.result:
            raise NenInputError(
                field,
                f"{marker} is given twice with different results "
                f"({seen[marker][0]}={seen[marker][1].result}, {name}={result.result})",
                "give each marker once (TTF1, TTF-1 and NKX2-1 are the same marker)",
            )
        seen[marker] = (str(name), result)
    return [(name, marker, result) for marker, (name, result) in seen.items()]


def _read_percent(
    res: MarkerResult, status: MarkerStatus, model: _Model, field: str
) -> tuple[MarkerStatus, str | None]:
    """A positive or focal result read against the studies' cut-offs when % cells is given."""
    pct = res.percent_cells
    if pct is None or status not in ("pos", "focal"):
        return status, None
    if pct == 0:
        raise NenInputError(
            field,
            f"a {status} result with percent_cells 0 contradicts itself",
            "give the percentage of stained tumour cells, or the result neg",
        )
    if pct >= model.cutoff_high:
        read: MarkerStatus = "pos"
        why = f"{pct:g} % of cells meets every study cut-off: counted as positive"
    elif pct >= model.cutoff_low:
        read = "focal"
        why = f"{pct:g} % of cells meets only the lower study cut-offs: counted as focal"
    else:
        read = "neg"
        why = (
            f"{pct:g} % of cells is below the studies' positivity cut-off "
            f"({model.cutoff_low:g} %): counted as negative"
        )
    return read, (why if read != status else None)


def accepted_clues() -> dict[str, tuple[str, ...]]:
    """Clue ids and their accepted values ('imaging' takes a site id)."""
    out: dict[str, tuple[str, ...]] = {}
    for c in clue_data().clues:
        out[c.id] = tuple(c.values) if c.kind != "localising" else origin_sites()
    return out


def _clue_value(entry: ClueEntry, value: str, field: str) -> str:
    key = name_key(value)
    for canonical, words in entry.values.items():
        if key in {name_key(w) for w in (canonical, *words)}:
            return canonical
    raise choice_error(field, value, tuple(entry.values), f"value for clue {entry.id}")


def _evidence(
    markers: Mapping[str, MarkerResult | str] | Iterable[tuple[str, MarkerResult | str]],
    clues: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> tuple[list[_Scored], list[EvidenceItem], list[NenWarning]]:
    model = _model()
    scored: list[_Scored] = []
    items: list[EvidenceItem] = []
    warnings: list[NenWarning] = []
    seen_groups: set[str] = set()

    def group_weight(group: str | None) -> float:
        if group is None:
            return 1.0
        if group in seen_groups:
            return model.dependent_weight
        seen_groups.add(group)
        return 1.0

    for name, marker, res in _normalise_markers(markers):
        status = res.result
        if marker in model.recognised:
            items.append(
                EvidenceItem(
                    name=name,
                    id=marker,
                    kind="marker",
                    result=status,
                    used="not_site_informative",
                    reason=model.recognised[marker],
                )
            )
            continue
        if status == "not_done":
            items.append(
                EvidenceItem(name=name, id=marker, kind="marker", result=status, used="not_done")
            )
            continue
        feature = model.markers[marker]
        weight = group_weight(feature.group)
        reason = None
        if weight < 1:
            reason = (
                "counted at reduced weight: overlaps a marker already scored (dependence group)"
            )
        status, cutoff_reason = _read_percent(res, status, model, f"markers.{name}")
        if cutoff_reason:
            reason = (reason + "; " if reason else "") + cutoff_reason
        if status == "focal":
            weight *= model.focal_weight
            reason = (
                reason + "; " if reason else ""
            ) + "focal/weak staining counts as positive at reduced weight"
        scored.append(_Scored(marker, "marker", status, status != "neg", weight, feature.cells))
        items.append(
            EvidenceItem(
                name=name,
                id=marker,
                kind="marker",
                result=status,
                used="scored",
                weight=weight,
                reason=reason,
            )
        )
        if marker == "pax8" and res.clone is None:
            warnings.append(
                NenWarning(
                    code="pax8_clone_unknown",
                    message="PAX8 clone not given: scored with the polyclonal-type frequencies; "
                    "with a C-terminal monoclonal clone (PAX8R1, BC12) NETs are negative - enter "
                    "pax8_monoclonal or give the clone.",
                    source="DOI:10.1097/PAI.0000000000000149",
                )
            )
        if marker == "pax8_monoclonal" and status in ("pos", "focal"):
            warnings.append(
                NenWarning(
                    code="pax8_monoclonal_positive",
                    message="C-terminal monoclonal PAX8 is negative in NETs of every site "
                    "studied: a positive result is unusual - reconsider a non-NET tumour.",
                    source="DOI:10.1097/PAI.0000000000000149",
                )
            )

    clue_items = clues.items() if isinstance(clues, Mapping) else (clues or ())
    for raw_name, raw_value in clue_items:
        field = f"clues.{raw_name}"
        clue_id = model.clue_index.get(name_key(str(raw_name)))
        if clue_id is None:
            raise choice_error(field, raw_name, tuple(model.clue_entries), "clue")
        entry = model.clue_entries[clue_id]
        if entry.kind == "neutral":
            value = _clue_value(entry, str(raw_value), field)
            items.append(
                EvidenceItem(
                    name=str(raw_name),
                    id=clue_id,
                    kind="clue",
                    result=value,
                    used="neutral_clue",
                    reason=entry.basis,
                )
            )
            continue
        if entry.kind == "binary":
            value = _clue_value(entry, str(raw_value), field)
            feature = model.binary_clues[clue_id]
            weight = group_weight(feature.group)
            reason = (
                "counted at reduced weight: overlaps a clue already scored" if weight < 1 else None
            )
            scored.append(
                _Scored(clue_id, "clue", value, value == entry.positive, weight, feature.cells)
            )
            items.append(
                EvidenceItem(
                    name=str(raw_name),
                    id=clue_id,
                    kind="clue",
                    result=value,
                    used="scored",
                    weight=weight,
                    reason=reason,
                )
            )
            continue
        # localising: the value is a site
        try:
            site = site_entry(canonical_site(str(raw_value), field)).origin
        except NenInputError:
            raise choice_error(field, raw_value, origin_sites(), "site") from None
        if site not in model.sites:
            raise choice_error(field, raw_value, origin_sites(), "site")
        hit, miss = model.localising[clue_id]
        target = model.sites.index(site)
        cells = tuple(hit if j == target else miss for j in model.site_of)
        scored.append(_Scored(clue_id, "clue", site, True, 1.0, cells))
        items.append(
            EvidenceItem(
                name=str(raw_name), id=clue_id, kind="clue", result=site, used="scored", weight=1.0
            )
        )
    return scored, items, warnings


# --- scoring -------------------------------------------------------------------------------
#
# The posterior is computed over components (the plain sites and the sub-origins of a mixture
# site) and summed per site, so a mixture site is scored with the mixture likelihood
# sum_j share_j * prod_i P(result_i | j)^weight_i, not with per-marker averaged frequencies.


def _loglik(e: _Scored, freq: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weighted natural-log likelihood of the result for each component (1-D or 2-D freq)."""
    p = freq if e.positive else 1.0 - freq
    return np.asarray(e.weight * np.log(np.clip(p, 1e-12, 1.0)), dtype=np.float64)


def _normalise(total: NDArray[np.float64]) -> NDArray[np.float64]:
    total = total - np.max(total, axis=-1, keepdims=True)
    w = np.exp(total)
    return np.asarray(w / np.sum(w, axis=-1, keepdims=True), dtype=np.float64)


def _component_posterior(
    prior: NDArray[np.float64], logliks: Sequence[NDArray[np.float64]]
) -> NDArray[np.float64]:
    return _normalise(np.log(prior) + (np.sum(logliks, axis=0) if logliks else 0.0))


def _by_site(model: _Model, post: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sum component probabilities (last axis) into site probabilities."""
    out = np.zeros((*post.shape[:-1], len(model.sites)))
    for j, comps in enumerate(model.members):
        out[..., j] = np.sum(post[..., list(comps)], axis=-1)
    return out


def _means(e: _Scored) -> NDArray[np.float64]:
    return np.array([c.mean for c in e.cells])


def _draw(e: _Scored, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    out = np.empty((n, len(e.cells)))
    for j, c in enumerate(e.cells):
        idx = rng.integers(len(c.a), size=n)
        out[:, j] = rng.beta(c.a[idx], c.b[idx])
    return out


def _draw_prior(model: _Model, name: str, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Component priors with the sub-origin shares drawn from their Dirichlet distributions."""
    out = np.tile(model.priors[name][model.site_of], (n, 1))
    for sh in model.shares[name]:
        out[:, list(sh.components)] *= rng.dirichlet(sh.alpha, size=n)
    return out


def _prior(
    differentiation: Literal["well", "poor"] | None,
) -> tuple[Literal["well", "poor"], NDArray[np.float64]]:
    """The prior in use and the prior of every component."""
    name: Literal["well", "poor"] = "poor" if differentiation == "poor" else "well"
    return name, _model().component_prior(name)


@dataclass(frozen=True, slots=True)
class _SiteTerm:
    """One piece of evidence read at one site: log P(result | site, earlier evidence)."""

    loglik: float
    weights: NDArray[np.float64]  # within-site weights of the site's components before it


def _site_terms(
    model: _Model, prior_name: str, logliks: Sequence[NDArray[np.float64]]
) -> list[list[_SiteTerm]]:
    """Per evidence and site, the log-likelihood of the result at the site.

    A plain site has one component and the term is its log-likelihood. For a mixture site the
    term is the predictive probability given the evidence before it (in panel order), with the
    sub-origin weights updated as evidence accrues; the terms then multiply to the mixture
    likelihood exactly, so the contributions add up to the posterior.
    """
    log_w = np.log(model.within_site_shares(prior_name))
    out: list[list[_SiteTerm]] = []
    for ll in logliks:
        row: list[_SiteTerm] = []
        for comps in model.members:
            idx = list(comps)
            lw = log_w[idx]
            norm = float(np.logaddexp.reduce(lw))
            weights = np.exp(lw - norm)
            term = float(np.logaddexp.reduce(lw + ll[idx])) - norm
            row.append(_SiteTerm(term, weights))
        log_w = log_w + ll
        out.append(row)
    return out


def _weighted_cell(
    cells: Sequence[_Cell], comps: Sequence[int], weights: NDArray[np.float64]
) -> tuple[float, tuple[float, float], bool, tuple[StudyCount, ...]]:
    """Frequency at a site from its components' cells: weighted mean and interval ends."""
    sub = [cells[i] for i in comps]
    mean = float(sum(w * c.mean for w, c in zip(weights, sub, strict=True)))
    lo = float(sum(w * c.interval[0] for w, c in zip(weights, sub, strict=True)))
    hi = float(sum(w * c.interval[1] for w, c in zip(weights, sub, strict=True)))
    imputed = any(c.imputed for c in sub)
    studies = tuple(x for c in sub for x in c.studies)
    return mean, (lo, hi), imputed, studies


def _sub_origin_warning(
    model: _Model,
    comp_post: NDArray[np.float64],
    site_post: NDArray[np.float64],
    calcitonin_done: bool,
) -> list[NenWarning]:
    """Which sub-origin a mixture site stands for, when that site is among the top three."""
    out: list[NenWarning] = []
    top3 = set(np.argsort(-site_post)[:3].tolist())
    for j, comps in enumerate(model.members):
        if len(comps) < 2 or j not in top3 or site_post[j] <= 0:
            continue
        parts = ", ".join(
            f"{model.component_labels[i]} {comp_post[i] / site_post[j]:.0%}" for i in comps
        )
        message = f"'{model.sites[j]}' ({site_post[j]:.0%}) is made of: {parts}."
        if not calcitonin_done and "thyroid_c_cell" in {model.component_ids[i] for i in comps}:
            message += (
                " Calcitonin immunostaining (or serum calcitonin) tests a thyroid C-cell origin."
            )
        out.append(
            NenWarning(
                code="mixture_site_breakdown",
                message=message,
                source="PMC6821118",
            )
        )
    return out


def site_posterior(
    markers: Mapping[str, MarkerResult | str] | Iterable[tuple[str, MarkerResult | str]],
    clues: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    *,
    differentiation: Literal["well", "poor"] | None = None,
) -> SitePosterior:
    """Posterior over primary sites from an IHC panel and optional clinical clues.

    ``markers`` maps marker names (synonyms accepted: TTF1, TTF-1, NKX2-1 ...) to pos | neg |
    focal | not_done or to a :class:`MarkerResult`; ``clues`` maps clue ids
    (carcinoid_syndrome=yes|no, 5hiaa=raised|normal, imaging=<site>, sex=male|female) to
    values. ``differentiation='poor'`` uses the NEC prior and warns that site markers are less
    specific in NECs. Unknown names raise :class:`NenInputError`.

    >>> post = site_posterior({"CDX2": "pos", "TTF1": "neg"})
    >>> post.sites[0].site
    'small_intestine'
    """
    model = _model()
    scored, items, warnings = _evidence(markers, clues)
    prior_name, comp_prior = _prior(differentiation)
    site_prior = model.priors[prior_name]
    data = site_markers().priors[prior_name]

    logliks = [_loglik(e, _means(e)) for e in scored]
    comp_post = _component_posterior(comp_prior, logliks)
    post = _by_site(model, comp_post)

    rng = np.random.default_rng(_SEED)
    if scored:
        prior_draws = _draw_prior(model, prior_name, rng, model.draws)
        draws = _by_site(
            model,
            _component_posterior(
                prior_draws, [_loglik(e, _draw(e, rng, model.draws)) for e in scored]
            ),
        )
        lo_q, hi_q = (1 - model.level) / 2, 1 - (1 - model.level) / 2
        p_lo = np.quantile(draws, lo_q, axis=0)
        p_hi = np.quantile(draws, hi_q, axis=0)
    else:
        p_lo = p_hi = post

    ln10 = math.log(10)
    terms = _site_terms(model, prior_name, logliks)
    contributions: list[list[SiteContribution]] = [[] for _ in model.sites]
    totals = np.zeros(len(model.sites))
    for e, row in zip(scored, terms, strict=True):
        site_ll = np.array([t.loglik for t in row])
        marginal = float(np.log(np.sum(site_prior * np.exp(site_ll))))
        c = (site_ll - marginal) / ln10
        totals += c
        for j, term in enumerate(row):
            freq, (lo, hi), imputed, studies = _weighted_cell(
                e.cells, model.members[j], term.weights
            )
            pr = (lo, hi) if e.positive else (1 - hi, 1 - lo)
            lr = tuple((e.weight * math.log(max(x, 1e-12)) - marginal) / ln10 for x in pr)
            contributions[j].append(
                SiteContribution(
                    evidence=e.id,
                    kind=e.kind,
                    result=e.result,
                    weight=e.weight,
                    frequency=freq,
                    frequency_interval=(lo, hi),
                    p_result=freq if e.positive else 1 - freq,
                    p_result_interval=pr,
                    log10_lr=float(c[j]),
                    log10_lr_interval=(min(lr), max(lr)),
                    imputed=imputed,
                    studies=studies,
                )
            )

    if differentiation == "poor":
        warnings.append(
            NenWarning(
                code="nec_markers_less_specific",
                message="Marker frequencies come from well-differentiated NETs; in a NEC, TTF-1, "
                "PAX8 and SATB2 also stain extrapulmonary tumours, so clinical and imaging context "
                "dominate.",
                source="https://discovery.researcher.life/article/diagnostic-value-of-cdx2-and-ttf1-expressions-in-separating-metastatic-neuroendocrine-neoplasms-of-unknown-origin/fb53e51e2fe333b1921abd6fea0c3d9d",
            )
        )
    if not scored:
        warnings.append(
            NenWarning(
                code="prior_only",
                message="No site-informative marker or clue: the probabilities are the prior.",
                source=data.source,
            )
        )
    if any(e.id == "cdx2" and e.result in ("pos", "focal") for e in scored):
        warnings.append(
            NenWarning(
                code="cdx2_not_exclusive",
                message=model.marker_notes["cdx2"],
                source="https://ar.iiarjournals.org/content/36/3/921",
            )
        )
    if scored:
        calcitonin_done = any(i.id == "calcitonin" and i.used != "not_done" for i in items)
        warnings.extend(_sub_origin_warning(model, comp_post, post, calcitonin_done))

    sites = [
        SiteProbability(
            site=site,
            label=model.labels[j],
            prior=float(site_prior[j]),
            probability=float(post[j]),
            probability_interval=(float(p_lo[j]), float(p_hi[j])),
            log10_lr_total=float(totals[j]),
            contributions=tuple(contributions[j]),
        )
        for j, site in enumerate(model.sites)
    ]
    sites.sort(key=lambda s: -s.probability)
    return SitePosterior(
        sites=tuple(sites),
        prior_name=prior_name,
        prior_source=data.source,
        prior_basis=data.basis,
        evidence=tuple(items),
        warnings=tuple(warnings),
        credible_level=model.level,
        method="naive Bayes over primary sites; per-study Beta(1+k, 1+n-k) posteriors mixed with "
        "equal weight per site; 'other' scored as a mixture of sub-origins (thyroid C-cell and "
        "other organs) with Dirichlet shares; markers assumed independent given the site or "
        "sub-origin (overlapping markers down-weighted); probability intervals from Monte Carlo "
        "draws of the frequencies and shares",
    )


def _entropy(p: NDArray[np.float64]) -> float:
    q = p[p > 0]
    return float(-np.sum(q * np.log2(q)))


def recommend_markers(
    markers: Mapping[str, MarkerResult | str] | Iterable[tuple[str, MarkerResult | str]] = (),
    clues: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    *,
    differentiation: Literal["well", "poor"] | None = None,
    top: int = 3,
) -> tuple[MarkerRecommendation, ...]:
    """The next markers to stain, by expected information gain about the site (bits).

    Markers already in the panel (any result, synonyms included) are skipped; so is the
    monoclonal PAX8 when any PAX8 was done. The gain is measured on the site posterior (the
    sub-origins of 'other' are summed).

    >>> [r.marker for r in recommend_markers({"synaptophysin": "pos"}, top=1)]
    ['cdx2']
    """
    model = _model()
    scored, items, _ = _evidence(markers, clues)
    _, prior = _prior(differentiation)
    logliks = [_loglik(e, _means(e)) for e in scored]
    current = _component_posterior(prior, logliks)
    h0 = _entropy(_by_site(model, current))
    done = {i.id for i in items if i.kind == "marker"}
    if done & {"pax8", "pax8_monoclonal"}:
        done |= {"pax8", "pax8_monoclonal"}
    present_groups = {model.markers[e.id].group for e in scored if e.kind == "marker"}
    recs: list[MarkerRecommendation] = []
    for marker_id, feature in model.markers.items():
        if marker_id in done or marker_id == "pax8_monoclonal":
            continue
        weight = (
            model.dependent_weight if feature.group in present_groups and feature.group else 1.0
        )
        f = np.array([c.mean for c in feature.cells])
        p_pos = float(np.sum(current * f))
        outcomes = []
        for positive, p_r in ((True, p_pos), (False, 1 - p_pos)):
            e = _Scored(
                marker_id, "marker", "pos" if positive else "neg", positive, weight, feature.cells
            )
            post = _by_site(model, _component_posterior(prior, [*logliks, _loglik(e, f)]))
            outcomes.append((p_r, post))
        eig = h0 - sum(p_r * _entropy(post) for p_r, post in outcomes)
        best = [(model.sites[int(np.argmax(post))], float(np.max(post))) for _, post in outcomes]
        studies = sorted({s.source for c in feature.cells for s in c.studies if s.source})
        recs.append(
            MarkerRecommendation(
                marker=marker_id,
                label=feature.label,
                expected_information_gain_bits=float(eig),
                p_positive=p_pos,
                if_positive=best[0],
                if_negative=best[1],
                sources=tuple(studies),
            )
        )
    recs.sort(key=lambda r: -r.expected_information_gain_bits)
    return tuple(recs[:top])


def marker_frequency_table() -> tuple[
    tuple[str, str, float, tuple[float, float], bool, tuple[StudyCount, ...]], ...
]:
    """Every (marker, site) frequency: mean, credible interval, imputed flag and its studies.

    A mixture site ('other') is given with its sub-origins weighted by their mean shares under
    the well-differentiated prior (interval: the weighted interval ends of the sub-origins);
    :func:`sub_origin_frequency_table` lists the sub-origins themselves.
    """
    model = _model()
    shares = model.within_site_shares("well")
    rows = []
    for marker_id, feature in model.markers.items():
        for j, site in enumerate(model.sites):
            comps = model.members[j]
            mean, interval, imputed, studies = _weighted_cell(
                feature.cells, comps, shares[list(comps)]
            )
            rows.append((marker_id, site, mean, interval, imputed, studies))
    return tuple(rows)


def sub_origin_frequency_table() -> tuple[
    tuple[str, str, str, float, tuple[float, float], bool, tuple[StudyCount, ...]], ...
]:
    """(marker, site, sub-origin, mean, interval, imputed, studies) for every mixture site."""
    model = _model()
    rows = []
    for marker_id, feature in model.markers.items():
        for j, comps in enumerate(model.members):
            if len(comps) < 2:
                continue
            for i in comps:
                c = feature.cells[i]
                rows.append(
                    (
                        marker_id,
                        model.sites[j],
                        model.component_ids[i],
                        c.mean,
                        c.interval,
                        c.imputed,
                        c.studies,
                    )
                )
    return tuple(rows)


def sub_origin_shares(
    differentiation: Literal["well", "poor"] | None = None,
) -> dict[str, dict[str, float]]:
    """Mean share of each sub-origin within its mixture site, for the prior in use."""
    model = _model()
    name, _ = _prior(differentiation)
    out: dict[str, dict[str, float]] = {}
    for sh in model.shares[name]:
        site = model.sites[int(model.site_of[sh.components[0]])]
        out[site] = {
            model.component_ids[i]: float(m) for i, m in zip(sh.components, sh.mean, strict=True)
        }
    return out
