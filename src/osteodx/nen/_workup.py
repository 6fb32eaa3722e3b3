"""Everything osteodx says about one NEN biopsy, in one object (for the assessment).

The integrator reads the pathology from a phenopacket biosample or the case form's
``pathology`` section (``pathology_from_mapping``), calls :func:`nen_workup` once and keeps
the result on the ``Assessment``; renderers format it with ``osteodx.nen.render_workup``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from osteodx.nen._circulating import CirculatingResult, MarkerInterpretation, interpret_markers
from osteodx.nen._classify import NenClassification, classify
from osteodx.nen._imaging import ImagingRecommendation, imaging_workup
from osteodx.nen._inputs import NenPathology
from osteodx.nen._site import MarkerRecommendation, SitePosterior, recommend_markers, site_posterior
from osteodx.nen._staging import NenStaging, stage_distant

__all__ = ["DISCLAIMER", "NenWorkup", "nen_workup"]

DISCLAIMER = (
    "Decision support for clinicians and researchers, not a medical device: the classification "
    "restates WHO rules for the values entered, and the site probabilities and work-up are "
    "options to discuss, not orders."
)


class NenWorkup(BaseModel):
    """Classification, staging, site of origin, next markers, imaging and circulating markers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pathology: NenPathology
    classification: NenClassification
    staging: NenStaging | None
    site_posterior: SitePosterior | None
    recommended_markers: tuple[MarkerRecommendation, ...]
    imaging: tuple[ImagingRecommendation, ...]
    circulating: tuple[MarkerInterpretation, ...]
    disclaimer: str = DISCLAIMER


def nen_workup(
    pathology: NenPathology,
    *,
    clues: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    metastases: Iterable[str] = (),
    circulating: Iterable[CirculatingResult | Mapping[str, Any]] = (),
    factors: Iterable[str] = (),
    top_markers: int = 3,
) -> NenWorkup:
    """Classify, stage and work up one NEN.

    The site-of-origin posterior and the marker recommendations are computed when the primary
    is unknown (from ``pathology.markers`` and ``clues``); ``metastases`` are distant sites
    ('liver', 'bone', 'lymph_nodes' ...); ``circulating`` and ``factors`` go to
    :func:`interpret_markers`.

    >>> w = nen_workup(NenPathology(site="unknown", differentiation="well", ki67_percent=10,
    ...                             markers={"synaptophysin": "pos", "CgA": "pos"}),
    ...                metastases=["bone", "lymph_nodes"])
    >>> w.classification.category, w.staging.m, w.site_posterior.sites[0].site
    ('NET G2', 'M1b', 'small_intestine')
    """
    classification = classify(pathology)
    mets = tuple(metastases)
    staging = stage_distant(classification, mets) if mets else None
    posterior: SitePosterior | None = None
    recs: tuple[MarkerRecommendation, ...] = ()
    if pathology.site == "unknown":
        poor = classification.family == "NEC" or pathology.differentiation == "poor"
        diff: Literal["well", "poor"] = "poor" if poor else "well"
        posterior = site_posterior(pathology.markers, clues, differentiation=diff)
        recs = recommend_markers(pathology.markers, clues, differentiation=diff, top=top_markers)
    bone = any("bone" in m.lower() or "skelet" in m.lower() or "marrow" in m.lower() for m in mets)
    imaging = imaging_workup(classification, site_posterior=posterior, bone_metastases=bone)
    circ = interpret_markers(circulating, factors, classification=classification)
    return NenWorkup(
        pathology=pathology,
        classification=classification,
        staging=staging,
        site_posterior=posterior,
        recommended_markers=recs,
        imaging=imaging,
        circulating=circ,
    )
