"""The :class:`Assessment`: everything a renderer needs, explained and sourced; JSON both ways."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from osteodx.case import Case
from osteodx.differential import Differential, TestRecommendation

if TYPE_CHECKING:  # imported on first use (_adapter) to keep start-up fast
    from osteodx.bone import BoneAssessment
    from osteodx.nen import NenWorkup

__all__ = [
    "DISCLAIMER",
    "Assessment",
    "FeatureComparison",
    "SimilarPatient",
    "assessment_from_json",
    "assessment_to_dict",
    "assessment_to_json",
]

DISCLAIMER = (
    "osteodx is decision support for clinicians and researchers, not a medical device. "
    "Probabilities come from published frequencies and declared estimates; they do not replace "
    "clinical judgement, imaging review or histology."
)


@dataclass(frozen=True, slots=True)
class FeatureComparison:
    """One feature compared between the case and a published patient (score 0-1)."""

    field: str
    query: str
    case: str
    score: float


@dataclass(frozen=True, slots=True)
class SimilarPatient:
    """A published patient like this one, from the case library, with its citation."""

    case_id: str
    citation: str
    similarity: float
    matched: tuple[FeatureComparison, ...]
    differed: tuple[FeatureComparison, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    case: Case
    differential: Differential
    next_tests: tuple[TestRecommendation, ...]
    knowledge_version: str
    hpo_version: str
    osteodx_version: str
    created: str
    disclaimer: str = DISCLAIMER
    similar_patients: tuple[SimilarPatient, ...] = ()
    # Why similar patients are missing, when they were asked for and could not be found.
    similar_patients_note: str = ""
    # NEN classification, site of origin and work-up, when the case carries a pathology report.
    nen: NenWorkup | None = None
    # Bone-metastasis scores and treatment options, when the case has a NEN or a bone section.
    bone: BoneAssessment | None = None

    @property
    def in_scope(self) -> bool:
        return self.differential.in_scope


@cache
def _adapter() -> TypeAdapter[Assessment]:
    from osteodx.bone import BoneAssessment
    from osteodx.case._model import bind_section_types
    from osteodx.nen import NenWorkup

    bind_section_types()
    globals().update(BoneAssessment=BoneAssessment, NenWorkup=NenWorkup)
    return TypeAdapter(Assessment)


@cache
def _serialiser() -> TypeAdapter[Assessment]:
    """A serialiser that does not import the NEN and bone packages (about 0.3 s at start-up).

    Unless they are loaded already, their section types resolve to ``Any``: pydantic then
    serialises a section by its runtime model, which gives the same JSON (a test holds this),
    and an assessment without sections never loads them. Reading JSON back uses
    :func:`_adapter`, with the real types.
    """
    if "osteodx.nen._workup" in sys.modules and "osteodx.bone._assessment" in sys.modules:
        return _adapter()
    from osteodx.case import _model

    for module, names in (
        (_model, ("NenPathology", "BoneInputs")),
        (sys.modules[__name__], ("NenWorkup", "BoneAssessment")),
    ):
        for name in names:
            if not hasattr(module, name):
                setattr(module, name, Any)
    return TypeAdapter(Assessment)


def assessment_to_dict(assessment: Assessment) -> dict[str, Any]:
    data: dict[str, Any] = _serialiser().dump_python(assessment, mode="json")
    return data


def assessment_to_json(assessment: Assessment, indent: int | None = 2) -> str:
    return _serialiser().dump_json(assessment, indent=indent).decode("utf-8")


def assessment_from_json(text: str | bytes) -> Assessment:
    return _adapter().validate_json(text)
