"""Neuroendocrine neoplasms: WHO classification, Ki-67, staging, site of origin, markers.

Everything medical is declared in ``nen/data/*.yaml`` with its source; the engines return data
(explanations included) and ``render_*`` functions format it. Decision support for clinicians
and researchers, not a medical device.

>>> from osteodx.nen import NenPathology, classify
>>> c = classify(NenPathology(site="unknown", differentiation="well", ki67_percent=10,
...                           markers={"synaptophysin": "pos", "chromogranin A": "pos"}))
>>> c.category, c.convention is not None
('NET G2', True)
"""

from osteodx.nen._circulating import (
    CirculatingResult,
    ConfounderHit,
    MarkerInterpretation,
    accepted_factors,
    interpret_markers,
)
from osteodx.nen._classify import (
    Criterion,
    Ki67Index,
    NenClassification,
    NenWarning,
    SourcedText,
    classify,
    ki67_index,
)
from osteodx.nen._errors import NenInputError
from osteodx.nen._imaging import ImagingRecommendation, imaging_workup
from osteodx.nen._inputs import Component, NenPathology, pathology_from_mapping
from osteodx.nen._load import NenDataError
from osteodx.nen._render import (
    render_classification,
    render_ki67,
    render_markers,
    render_site_posterior,
    render_workup,
    thresholds_markdown,
)
from osteodx.nen._site import (
    MarkerRecommendation,
    MarkerResult,
    SiteContribution,
    SitePosterior,
    SiteProbability,
    accepted_clues,
    recommend_markers,
    site_posterior,
)
from osteodx.nen._staging import NenStaging, stage_distant
from osteodx.nen._vocab import (
    accepted_markers,
    accepted_sites,
    canonical_marker,
    canonical_site,
    origin_sites,
)
from osteodx.nen._workup import DISCLAIMER, NenWorkup, nen_workup

__all__ = [
    "DISCLAIMER",
    "CirculatingResult",
    "Component",
    "ConfounderHit",
    "Criterion",
    "ImagingRecommendation",
    "Ki67Index",
    "MarkerInterpretation",
    "MarkerRecommendation",
    "MarkerResult",
    "NenClassification",
    "NenDataError",
    "NenInputError",
    "NenPathology",
    "NenStaging",
    "NenWarning",
    "NenWorkup",
    "SiteContribution",
    "SitePosterior",
    "SiteProbability",
    "SourcedText",
    "accepted_clues",
    "accepted_factors",
    "accepted_markers",
    "accepted_sites",
    "canonical_marker",
    "canonical_site",
    "classify",
    "imaging_workup",
    "interpret_markers",
    "ki67_index",
    "nen_workup",
    "origin_sites",
    "pathology_from_mapping",
    "recommend_markers",
    "render_classification",
    "render_ki67",
    "render_markers",
    "render_site_posterior",
    "render_workup",
    "site_posterior",
    "stage_distant",
    "thresholds_markdown",
]
