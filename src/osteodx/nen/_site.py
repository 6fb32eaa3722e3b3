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
    source: str
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
    prior_source: str
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


@dataclass(frozen=True, slots=True)
class _Feature:
    """A scorable piece of evidence: one cell per site."""

    id: str
    label: str
    kind: Literal["marker", "clue"]
    cells: tuple[_Cell, ...]
    group: str | None = None


@dataclass(frozen=True, slots=True)
class _Model:
    sites: tuple[str, ...]
    labels: tuple[str, ...]
    priors: dict[str, NDArray[np.float64]]
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


def _study_count(o: Observation, study_source: str) -> StudyCount:
    return StudyCount(
        study=o.study,
        k=o.k,
        n=o.n,
        specimen=o.specimen,
        source=study_source,
        scope=o.scope,
        estimate=o.estimate,
        basis=o.basis,
    )


@functools.cache
def _model() -> _Model:
    data = site_markers()
    s = data.settings
    level = s.credible_level.value
    sites = tuple(x.id for x in data.sites)
    pseudo = s.imputed_pseudo_count.value
    markers: dict[str, _Feature] = {}
    for m in data.markers:
        known: dict[str, _Cell] = {}
        for site in sites:
            obs = m.frequencies.get(site, ())
            if obs:
                counts = tuple(_study_count(o, data.studies[o.study].source) for o in obs)
                known[site] = _cell([(1 + o.k, 1 + o.n - o.k) for o in obs], False, counts, level)
        average = float(np.mean([c.mean for c in known.values()]))
        marker_cells = tuple(
            known[site]
            if site in known
            else _cell([(average * pseudo, (1 - average) * pseudo)], True, (), level)
            for site in sites
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
            cells = tuple(
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
            )
            binary[c.id] = _Feature(c.id, c.label, "clue", cells, c.exclusive_group)
        elif c.kind == "localising":
            assert c.detection is not None and c.false_localisation is not None
            assert c.detection_source is not None
            det, fal = c.detection, c.false_localisation
            localising[c.id] = (
                _cell(
                    [(1 + det.k, 1 + det.n - det.k)],
                    False,
                    (
                        StudyCount(
                            study=c.id,
                            k=det.k,
                            n=det.n,
                            specimen="mixed",
                            source=c.detection_source,
                            estimate=c.detection_estimate,
                            basis=c.detection_basis,
                        ),
                    ),
                    level,
                ),
                _cell(
                    [(1 + fal.k, 1 + fal.n - fal.k)],
                    False,
                    (
                        StudyCount(
                            study=c.id,
                            k=fal.k,
                            n=fal.n,
                            specimen="mixed",
                            source=c.source,
                            estimate=c.estimate,
                            basis=c.basis,
                        ),
                    ),
                    level,
                ),
            )
    return _Model(
        sites=sites,
        labels=tuple(x.label for x in data.sites),
        priors={k: np.array([p.weights[site] for site in sites]) for k, p in data.priors.items()},
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
            else MarkerResult(result=marker_status(value, field))
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
        cells = tuple(hit if s == site else miss for s in model.sites)
        scored.append(_Scored(clue_id, "clue", site, True, 1.0, cells))
        items.append(
            EvidenceItem(
                name=str(raw_name), id=clue_id, kind="clue", result=site, used="scored", weight=1.0
            )
        )
    return scored, items, warnings


# --- scoring -------------------------------------------------------------------------------


def _loglik(e: _Scored, freq: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weighted natural-log likelihood of the result for each site (freq may be 1-D or 2-D)."""
    p = freq if e.positive else 1.0 - freq
    return np.asarray(e.weight * np.log(np.clip(p, 1e-12, 1.0)), dtype=np.float64)


def _posterior(
    prior: NDArray[np.float64], logliks: Sequence[NDArray[np.float64]]
) -> NDArray[np.float64]:
    total = np.log(prior) + (np.sum(logliks, axis=0) if logliks else 0.0)
    total = total - np.max(total, axis=-1, keepdims=True)
    w = np.exp(total)
    return np.asarray(w / np.sum(w, axis=-1, keepdims=True), dtype=np.float64)


def _means(e: _Scored) -> NDArray[np.float64]:
    return np.array([c.mean for c in e.cells])


def _draw(e: _Scored, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    out = np.empty((n, len(e.cells)))
    for j, c in enumerate(e.cells):
        idx = rng.integers(len(c.a), size=n)
        out[:, j] = rng.beta(c.a[idx], c.b[idx])
    return out


def _prior(
    differentiation: Literal["well", "poor"] | None,
) -> tuple[Literal["well", "poor"], NDArray[np.float64]]:
    name: Literal["well", "poor"] = "poor" if differentiation == "poor" else "well"
    return name, _model().priors[name]


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
    prior_name, prior = _prior(differentiation)
    data = site_markers().priors[prior_name]

    logliks = [_loglik(e, _means(e)) for e in scored]
    post = _posterior(prior, logliks)

    rng = np.random.default_rng(_SEED)
    if scored:
        draws = _posterior(prior, [_loglik(e, _draw(e, rng, model.draws)) for e in scored])
        lo_q, hi_q = (1 - model.level) / 2, 1 - (1 - model.level) / 2
        p_lo = np.quantile(draws, lo_q, axis=0)
        p_hi = np.quantile(draws, hi_q, axis=0)
    else:
        p_lo = p_hi = post

    ln10 = math.log(10)
    contributions: list[list[SiteContribution]] = [[] for _ in model.sites]
    totals = np.zeros(len(model.sites))
    for e, ll in zip(scored, logliks, strict=True):
        marginal = float(np.log(np.sum(prior * np.exp(ll))))
        c = (ll - marginal) / ln10
        totals += c
        for j, cell in enumerate(e.cells):
            lo, hi = cell.interval
            pr = (lo, hi) if e.positive else (1 - hi, 1 - lo)
            lr = tuple((e.weight * math.log(max(x, 1e-12)) - marginal) / ln10 for x in pr)
            contributions[j].append(
                SiteContribution(
                    evidence=e.id,
                    kind=e.kind,
                    result=e.result,
                    weight=e.weight,
                    frequency=cell.mean,
                    frequency_interval=cell.interval,
                    p_result=cell.mean if e.positive else 1 - cell.mean,
                    p_result_interval=pr,
                    log10_lr=float(c[j]),
                    log10_lr_interval=(min(lr), max(lr)),
                    imputed=cell.imputed,
                    studies=cell.studies,
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

    sites = [
        SiteProbability(
            site=site,
            label=model.labels[j],
            prior=float(prior[j]),
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
        "equal weight per site; markers assumed independent given the site (overlapping "
        "markers down-weighted); probability intervals from Monte Carlo draws of the frequencies",
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
    monoclonal PAX8 when any PAX8 was done.

    >>> [r.marker for r in recommend_markers({"synaptophysin": "pos"}, top=1)]
    ['cdx2']
    """
    model = _model()
    scored, items, _ = _evidence(markers, clues)
    _, prior = _prior(differentiation)
    logliks = [_loglik(e, _means(e)) for e in scored]
    current = _posterior(prior, logliks)
    h0 = _entropy(current)
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
            post = _posterior(prior, [*logliks, _loglik(e, f)])
            outcomes.append((p_r, post))
        eig = h0 - sum(p_r * _entropy(post) for p_r, post in outcomes)
        best = [(model.sites[int(np.argmax(post))], float(np.max(post))) for _, post in outcomes]
        studies = sorted({s.source for c in feature.cells for s in c.studies})
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
    """Every (marker, site) frequency: mean, credible interval, imputed flag and its studies."""
    model = _model()
    rows = []
    for marker_id, feature in model.markers.items():
        for site, cell in zip(model.sites, feature.cells, strict=True):
            rows.append((marker_id, site, cell.mean, cell.interval, cell.imputed, cell.studies))
    return tuple(rows)
