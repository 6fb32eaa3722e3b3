"""Request and response models of the NEN, bone-score, treatment and case-library endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from osteodx.nen import (
    DISCLAIMER as NEN_DISCLAIMER,
)
from osteodx.nen import (
    MarkerInterpretation,
    MarkerRecommendation,
    SitePosterior,
    accepted_clues,
    accepted_factors,
    accepted_sites,
)

__all__ = [
    "CategoryInfo",
    "ChoiceInfo",
    "CirculatingItem",
    "ComparisonOut",
    "ComponentRequest",
    "NenGradeRequest",
    "NenMarkersRequest",
    "NenMarkersResponse",
    "NenSiteRequest",
    "NenSiteResponse",
    "NumberInfo",
    "ScoreInfo",
    "ScoreItemInfo",
    "SimilarCaseOut",
    "SimilarCasesResponse",
]

MarkerStatus = Literal["pos", "neg", "focal", "not_done"]
_MARKERS_HELP = (
    "Immunohistochemistry: marker name (synonyms accepted: TTF1, TTF-1, NKX2-1 ...) -> "
    "pos | neg | focal | not_done."
)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentRequest(_Request):
    """One component of a mixed tumour (MiNEN, combined small-cell carcinoma)."""

    kind: Literal["neuroendocrine", "non_neuroendocrine"]
    percent: float = Field(ge=0, le=100, description="Share of the tumour, %.")
    histology: str | None = None
    differentiation: Literal["well", "poor"] | None = None
    morphology: Literal["small_cell", "large_cell"] | None = None
    ki67: float | None = Field(None, ge=0, le=100, description="Ki-67 index of the component, %.")
    mitoses: float | None = Field(None, ge=0, description="Mitoses per 2 mm² of the component.")


class NenGradeRequest(_Request):
    """What the pathologist reports; the answer is the WHO category with the rule applied."""

    site: str = Field(
        "unknown",
        description="Primary site: " + ", ".join(accepted_sites()) + " (aliases such as 'ileum' "
        "accepted; 'other:kidney' for a site outside the list).",
    )
    differentiation: Literal["well", "poor"] | None = Field(
        None, description="The pathologist's call (numbers alone never make a NEC)."
    )
    ki67: float | None = Field(None, ge=0, le=100, description="Ki-67 index, %.")
    mitoses: float | None = Field(None, ge=0, description="Mitotic count per 2 mm².")
    necrosis: Literal["none", "focal", "extensive"] | None = None
    markers: dict[str, MarkerStatus] = Field(default_factory=dict, description=_MARKERS_HELP)
    morphology: Literal["small_cell", "large_cell"] | None = Field(
        None, description="Cytology of a carcinoma."
    )
    components: list[ComponentRequest] = Field(
        default_factory=list, description="Components of a mixed tumour."
    )
    size_mm: float | None = Field(None, gt=0, description="Tumour size in mm (lung).")
    specimen: Literal["resection", "biopsy", "cytology"] | None = None
    crush_artefact: bool = Field(False, description="Crushed biopsy: mitoses not countable.")
    diagnosis: str | None = Field(
        None, description="The reported diagnosis when it is a renamed entity."
    )


class NenSiteRequest(_Request):
    """An IHC panel (and clinical clues) of a NET metastasis of unknown primary."""

    markers: dict[str, MarkerStatus] = Field(description=_MARKERS_HELP)
    clues: dict[str, str] = Field(
        default_factory=dict,
        description="Clinical clues: "
        + "; ".join(
            f"{name} = {' | '.join(values) if name != 'imaging' else 'a site id'}"
            for name, values in accepted_clues().items()
        ),
    )
    differentiation: Literal["well", "poor"] | None = Field(
        None, description="'poor' uses the NEC prior (site markers are less specific there)."
    )
    recommend: int = Field(3, ge=0, le=10, description="How many next markers to suggest.")


class NenSiteResponse(BaseModel):
    """Posterior over primary sites, best first, with every contribution and the next markers."""

    posterior: SitePosterior
    recommended_markers: list[MarkerRecommendation]
    disclaimer: str = NEN_DISCLAIMER


class CirculatingItem(_Request):
    """One circulating-marker result: a value with the laboratory's upper limit, or a flag."""

    marker: str = Field(description="chromogranin_a (CgA), nse or 5hiaa (synonyms accepted).")
    value: float | None = Field(None, ge=0)
    unit: str | None = None
    upper_limit: float | None = Field(None, gt=0, description="The laboratory's upper limit.")
    elevated: bool | None = Field(None, description="Raised (true) or normal (false) as reported.")


class NenMarkersRequest(_Request):
    results: list[CirculatingItem] = Field(min_length=1)
    factors: list[str] = Field(
        default_factory=list,
        description="Drugs, conditions, foods or sampling problems that move the markers: "
        + ", ".join(accepted_factors()),
    )


class NenMarkersResponse(BaseModel):
    markers: list[MarkerInterpretation]
    disclaimer: str = NEN_DISCLAIMER


class ChoiceInfo(BaseModel):
    value: str
    label: str
    points: int


class NumberInfo(BaseModel):
    min: int
    max: int | None
    step: int
    unit: str | None


class ScoreItemInfo(BaseModel):
    name: str
    label: str
    help: str
    kind: Literal["choice", "number"]
    accepted: list[str]
    choices: list[ChoiceInfo]
    number: NumberInfo | None


class CategoryInfo(BaseModel):
    id: str
    min: int
    max: int
    label: str
    interpretation: str


class ScoreInfo(BaseModel):
    """A declared score: its items with accepted values, categories and source."""

    id: str
    name: str
    purpose: str
    direction: Literal["higher_worse", "higher_better"]
    total_min: int
    total_max: int
    citation: str
    source: str
    endpoint: str
    items: list[ScoreItemInfo]
    categories: list[CategoryInfo]


class ComparisonOut(BaseModel):
    field: str
    query: str
    case: str
    score: float


class SimilarCaseOut(BaseModel):
    """A published patient like the query: what matched, what differed, and the source."""

    case_id: str
    citation: str
    similarity: float
    coverage: float
    matched: list[ComparisonOut]
    differed: list[ComparisonOut]
    not_reported: list[str]


class SimilarCasesResponse(BaseModel):
    case_id: str
    library_size: int
    cases: list[SimilarCaseOut]
