"""The one immutable case model every reader produces and every engine reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from osteodx.case._issues import Issue

__all__ = [
    "Case",
    "Finding",
    "FindingOrigin",
    "Measurement",
    "MentionStatus",
    "Sex",
    "TextMention",
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

    def present_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.findings if f.present)

    def excluded_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.findings if not f.present)
