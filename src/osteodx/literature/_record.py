"""The library record: one published patient, every fact with the publication it comes from.

The schema is the one of the shipped NEN case library (``data/cases-README.md``); fields that an
import cannot know (a PubMed abstract has no structured IHC panel) are ``None``, which always means
"not reported", never "absent".
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "BONE_LESION_TYPES",
    "GRADES",
    "IHC_STATUSES",
    "SEXES",
    "STATUSES",
    "CirculatingMarker",
    "Citation",
    "ImagingItem",
    "LibraryCase",
    "Outcome",
    "citation_text",
    "histology_family",
    "publication_keys",
]

SEXES = ("male", "female")
GRADES = ("G1", "G2", "G3")
BONE_LESION_TYPES = ("osteoblastic", "osteolytic", "mixed", "none")
IHC_STATUSES = ("pos", "neg", "focal")
STATUSES = ("alive", "dead")
HISTOLOGY_FAMILIES = ("NET", "NEC", "MiNEN", "carcinoid", "carcinoid-atypical")

_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_PMID = re.compile(r"^\d{1,9}$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def normalise_pmid(value: str) -> str:
    text = value.strip()
    text = re.sub(r"^(pmid:?\s*)", "", text, flags=re.IGNORECASE)
    return text


def normalise_doi(value: str) -> str:
    text = value.strip()
    return re.sub(r"^(doi:\s*|https?://(dx\.)?doi\.org/)", "", text, flags=re.IGNORECASE)


class Citation(_Frozen):
    """Where the facts of a record were read; at least one of pmid, doi, url."""

    first_author: str | None = None
    year: int | None = Field(default=None, ge=1800, le=2100)
    journal: str | None = None
    title: str | None = None
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None

    @field_validator("pmid")
    @classmethod
    def _pmid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = normalise_pmid(value)
        if not _PMID.match(text):
            raise ValueError(f"PMID {value!r} is not a number; write digits only, e.g. 28796171")
        return text

    @field_validator("doi")
    @classmethod
    def _doi(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = normalise_doi(value)
        if not _DOI.match(text):
            raise ValueError(f"DOI {value!r} does not look like a DOI; write e.g. 10.1097/MD.0001")
        return text

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"url {value!r} must start with https:// or http://")
        return value

    @model_validator(mode="after")
    def _has_identifier(self) -> Citation:
        if not (self.pmid or self.doi or self.url):
            raise ValueError("a citation needs at least one of pmid, doi or url")
        return self


class CirculatingMarker(_Frozen):
    name: str = Field(min_length=1)
    value: float | None = None
    unit: str | None = None
    elevated: bool | None = None


class ImagingItem(_Frozen):
    modality: str = Field(min_length=1)
    finding: str = ""


class Outcome(_Frozen):
    status: Literal["alive", "dead"] | None = None
    follow_up_months: float | None = Field(default=None, ge=0)
    response: str | None = None


class LibraryCase(_Frozen):
    """One published patient."""

    case_id: str
    citation: Citation
    age: float | None = Field(default=None, ge=0, le=125)
    sex: Literal["male", "female"] | None = None
    presentation: str = ""
    symptoms: tuple[str, ...] = ()
    carcinoid_syndrome: bool | None = None
    primary_site: str | None = None
    primary_found: bool | None = None
    primary_found_by: str | None = None
    histology: str | None = None
    grade: Literal["G1", "G2", "G3"] | None = None
    ki67_percent: float | None = Field(default=None, ge=0, le=100)
    mitoses_per_2mm2: float | None = Field(default=None, ge=0)
    ihc: dict[str, Literal["pos", "neg", "focal"]] = Field(default_factory=dict)
    circulating_markers: tuple[CirculatingMarker, ...] = ()
    bone_lesion_type: Literal["osteoblastic", "osteolytic", "mixed", "none"] | None = None
    bone_sites: tuple[str, ...] = ()
    other_metastases: tuple[str, ...] = ()
    imaging: tuple[ImagingItem, ...] = ()
    treatments: tuple[str, ...] = ()
    outcome: Outcome = Field(default_factory=Outcome)
    notes: str = ""

    @field_validator("case_id")
    @classmethod
    def _case_id(cls, value: str) -> str:
        if not _CASE_ID.match(value):
            raise ValueError(
                f"case_id {value!r} must be 1-64 letters, digits, '.', '_', ':' or '-'"
            )
        return value

    @field_validator("primary_site")
    @classmethod
    def _primary_site(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().lower().replace(" ", "_")
        return text or None

    @field_validator("ihc", mode="before")
    @classmethod
    def _ihc_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            return {_norm_key(str(k)): v for k, v in value.items()}
        return value

    @field_validator("bone_sites", "other_metastases", "treatments", mode="before")
    @classmethod
    def _terms(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(_norm_key(str(v)) for v in value if str(v).strip())
        return value

    @field_validator("histology")
    @classmethod
    def _histology(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if histology_family(value) is None:
            raise ValueError(
                f"histology {value!r} must start with one of {', '.join(HISTOLOGY_FAMILIES)}"
            )
        return value.strip()

    @property
    def bone_involved(self) -> bool | None:
        """True with bone metastases, False when the source says none, None when not reported."""
        if self.bone_lesion_type == "none":
            return False
        if self.bone_lesion_type is not None or self.bone_sites:
            return True
        return None


def _norm_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def histology_family(histology: str | None) -> str | None:
    """``NET``, ``NEC``, ``MiNEN``, ``carcinoid`` or ``carcinoid-atypical`` (the first word)."""
    if not histology:
        return None
    head = histology.strip().split(" ", 1)[0].split("(", 1)[0]
    for family in sorted(HISTOLOGY_FAMILIES, key=len, reverse=True):
        if head.lower() == family.lower():
            return family
    return None


def publication_keys(citation: Citation) -> tuple[str, ...]:
    """The keys by which two records are the same publication: ``pmid:...`` and ``doi:...``."""
    keys = []
    if citation.pmid:
        keys.append(f"pmid:{citation.pmid}")
    if citation.doi:
        keys.append(f"doi:{citation.doi.lower()}")
    return tuple(keys)


def citation_text(citation: Citation) -> str:
    """A one-line reference: author year. title. journal. PMID:..; DOI:..; URL."""
    head = " ".join(p for p in (citation.first_author, str(citation.year or "")) if p).strip()
    parts = [p for p in (head, citation.title, citation.journal) if p]
    ids = []
    if citation.pmid:
        ids.append(f"PMID:{citation.pmid}")
    if citation.doi:
        ids.append(f"DOI:{citation.doi}")
    if citation.url and not ids:
        ids.append(citation.url)
    text = ". ".join(p.rstrip(".") for p in parts)
    return f"{text}. {'; '.join(ids)}" if text else "; ".join(ids)
