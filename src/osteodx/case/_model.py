"""The one immutable case model every reader produces and every engine reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from osteodx.case._issues import Issue

if TYPE_CHECKING:  # imported on first use (bind_section_types) to keep start-up fast
    from osteodx.bone import BoneInputs
    from osteodx.nen import NenPathology

__all__ = [
    "Case",
    "Finding",
    "FindingOrigin",
    "Measurement",
    "MentionStatus",
    "PathologyReport",
    "Sex",
    "TestResult",
    "TextMention",
    "bind_section_types",
]


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


FindingOrigin = Literal["coded", "lab", "text", "form", "history", "treatment", "implied"]
MentionStatus = Literal["present", "negated", "uncertain", "family", "overridden"]


@dataclass(frozen=True, slots=True)
class Finding:
    """An observed (``present=True``) or explicitly excluded (``present=False``) finding.

    ``id`` is an HPO id or a project-local ``OSX:`` id. ``origin`` says how it entered the case
    and ``loc`` where in the user's document it came from.
    """

    id: str
    label: str
    present: bool
    origin: FindingOrigin
    loc: str
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class Measurement:
    """A laboratory value, converted to the analyte's canonical unit, with the value as entered."""

    analyte: str
    name: str
    value: float
    unit: str
    entered: str
    loinc: str | None
    interpretation: Literal["high", "low", "normal", "unknown"]
    reference_low: float | None
    reference_high: float | None
    reference_source: str | None
    loc: str


@dataclass(frozen=True, slots=True)
class TextMention:
    """A phrase read from free text and how it counted."""

    finding_id: str
    label: str
    phrase: str
    sentence: str
    status: MentionStatus
    loc: str

    @property
    def counted(self) -> bool:
        return self.status in ("present", "negated")


@dataclass(frozen=True, slots=True)
class PathologyReport:
    """A neuroendocrine-neoplasm pathology report attached to the case.

    ``metastases`` are the distant sites with metastases ('bone', 'lymph_nodes', 'liver' ...);
    ``reported_grade`` is the grade as the pathologist wrote it (compared with the computed
    one); ``loc`` is where the report is in the user's document.
    """

    pathology: NenPathology
    metastases: tuple[str, ...] = ()
    reported_grade: str | None = None
    loc: str = "pathology"


@dataclass(frozen=True, slots=True)
class TestResult:
    """The observed outcome of a work-up test of the knowledge base (``tests.yaml``).

    ``test`` is the test key and ``outcome`` the index of the observed result among the test's
    declared outcomes; the differential counts it with the same probabilities that rank the
    test as a next step, and the test is not recommended again. ``supersedes`` are finding ids
    the result already counts (dropped from the findings, not treated as unmentioned).
    """

    test: str
    outcome: int
    result: str
    loc: str
    evidence: str = ""
    supersedes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    """A patient, as read from a phenopacket, a case form or another reader."""

    case_id: str
    sex: Sex = Sex.UNKNOWN
    age_years: float | None = None
    findings: tuple[Finding, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    text_mentions: tuple[TextMention, ...] = ()
    description: str = ""
    source: str = ""
    warnings: tuple[Issue, ...] = field(default=())
    pathology: PathologyReport | None = None
    bone: BoneInputs | None = None
    test_results: tuple[TestResult, ...] = ()

    def present_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.findings if f.present)

    def excluded_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.findings if not f.present)


def bind_section_types() -> None:
    """Make the NEN and bone types of the optional sections resolvable in this module.

    They are imported lazily (the NEN and bone packages take a few hundred milliseconds to
    import and most cases have neither section); serialisers call this first.
    """
    from osteodx.bone import BoneInputs
    from osteodx.nen import NenPathology

    globals().update(BoneInputs=BoneInputs, NenPathology=NenPathology)
