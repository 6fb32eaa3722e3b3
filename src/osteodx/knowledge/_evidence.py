"""What a number rests on: a count, a statement or a judgement (docs/knowledge-format.md#evidence).

Every frequency or probability of the differential carries one evidence record:

- ``count``: the source gives k of n in a stated population (with a short quote or table row);
- ``statement``: the source gives a qualitative frequency ("usually", "rare"), mapped through HPO's
  frequency terms (HP:0040280 Obligate ... HP:0040285 Excluded);
- ``judgement``: our reasoning, with no citation unless a cited source states the fact the
  reasoning rests on (then that fact is quoted).

A citation is a PMID, PMC id or DOI for a paper, or the URL of an official reference (NCBI
Bookshelf, WHO, guideline bodies, Orphanet, OMIM, HPO, LOINC ...). Hosts that are not evidence
(aggregators, mirrors, AI-answer sites, development hosts) are refused wherever they appear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from osteodx.knowledge._data import load_raw

__all__ = [
    "FREQUENCY_SCALE",
    "CitationPolicy",
    "Count",
    "Evidence",
    "FrequencyTerm",
    "Judgement",
    "Statement",
    "Support",
    "check_citation",
    "citation_form",
    "citation_policy",
    "denied_host",
]


@dataclass(frozen=True, slots=True)
class FrequencyTerm:
    """One of HPO's frequency terms (subclasses of HP:0040279 Frequency) with its range."""

    id: str
    label: str
    low: float
    high: float

    def admits(self, value: float) -> bool:
        # The knowledge base keeps frequencies inside 0.01..0.99, so "Obligate" and "Excluded"
        # are reached at those bounds.
        return self.low - 1e-9 <= value <= self.high + 1e-9


# HPO's own ranges (the term definitions): Obligate 100 %, Very frequent 80-99 %, Frequent 30-79 %,
# Occasional 5-29 %, Very rare 1-4 %, Excluded 0 %.
FREQUENCY_SCALE: dict[str, FrequencyTerm] = {
    t.id: t
    for t in (
        FrequencyTerm("HP:0040280", "Obligate", 0.95, 0.99),
        FrequencyTerm("HP:0040281", "Very frequent", 0.80, 0.99),
        FrequencyTerm("HP:0040282", "Frequent", 0.30, 0.79),
        FrequencyTerm("HP:0040283", "Occasional", 0.05, 0.29),
        FrequencyTerm("HP:0040284", "Very rare", 0.01, 0.04),
        FrequencyTerm("HP:0040285", "Excluded", 0.001, 0.01),
    )
}


@dataclass(frozen=True, slots=True)
class CitationPolicy:
    deny_hosts: tuple[str, ...]
    reference_hosts: tuple[str, ...]
    laboratory_hosts: tuple[str, ...]


@cache
def citation_policy() -> CitationPolicy:
    """The declared deny-list and reference hosts (``knowledge/data/citation_policy.yaml``)."""
    data = load_raw("knowledge/data/citation_policy.yaml")
    return CitationPolicy(
        tuple(str(h).lower() for h in data["deny_hosts"]),
        tuple(str(h).lower() for h in data["reference_hosts"]),
        tuple(str(h).lower() for h in data["laboratory_hosts"]),
    )


_PAPER = re.compile(r"^(PMID:\d+|PMC\d+|DOI:10\.\d{4,9}/\S+)$")


def _host_and_path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + parts.path).lower()


def denied_host(url: str) -> str | None:
    """The deny-list entry a URL falls under, if any."""
    where = _host_and_path(url)
    host = urlsplit(url).netloc.lower()
    if re.match(r"^\d{1,3}(\.\d{1,3}){3}(:\d+)?$", host):
        return "a bare IP address (a development or mirror host)"
    for entry in citation_policy().deny_hosts:
        if entry in host or (("/" in entry) and entry in where):
            return entry
    return None


def _on_host(url: str, entry: str) -> bool:
    """Whether ``url`` is on the policy entry's host (that host or a subdomain of it, never a
    look-alike such as ``omim.org.example.net``) and, for an entry with a path
    (``ncbi.nlm.nih.gov/books``), under that path. A URL with user information is never."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return False
    host = (parts.hostname or "").lower()
    want_host, _, want_path = entry.partition("/")
    if not (host == want_host or host.endswith("." + want_host)):
        return False
    return not want_path or parts.path.lower().lstrip("/").startswith(want_path)


def citation_form(citation: str) -> str:
    """How a citation identifies its source: pmid, pmc, doi, reference (an official reference
    URL), laboratory (a laboratory's own test catalogue), denied (a host that is not evidence),
    other_url, or project (a docs/ page)."""
    text = citation.strip()
    if text.upper().startswith("PMID"):
        return "pmid"
    if text.upper().startswith("PMC"):
        return "pmc"
    if text.upper().startswith("DOI"):
        return "doi"
    if text.startswith("docs/"):
        return "project"
    if text.startswith(("http://", "https://")):
        if denied_host(text):
            return "denied"
        policy = citation_policy()
        if any(_on_host(text, h) for h in policy.reference_hosts):
            return "reference"
        if any(_on_host(text, h) for h in policy.laboratory_hosts):
            return "laboratory"
        return "other_url"
    return "unknown"


def check_citation(value: str) -> str:
    """One citation an evidence record may carry: PMID:n, PMCn, DOI:10.x/y, or an official
    reference's https URL. Aggregators and mirrors are refused with what to do instead."""
    text = value.strip()
    form = citation_form(text)
    if form in ("pmid", "pmc", "doi"):
        if not _PAPER.match(text):
            raise ValueError(
                f"citation {text!r} must look like PMID:12345678, PMC1234567 or DOI:10.x/y"
            )
        return text
    if form == "reference":
        return text
    if form == "denied":
        raise ValueError(
            f"citation {text!r} is on the deny-list ({denied_host(text)}): cite the primary source "
            "it copies (PMID, PMC or DOI), or make the claim a judgement"
        )
    raise ValueError(
        f"citation {text!r} is not a PMID, PMC id, DOI or an official reference URL "
        "(knowledge/data/citation_policy.yaml lists the reference hosts)"
    )


# A citation field: checked by check_citation wherever a record carries one.
Citation = Annotated[str, AfterValidator(check_citation)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Count(_Record):
    """k of n in a stated population, with the passage that gives it."""

    kind: Literal["count"]
    k: int = Field(ge=0)
    n: int = Field(gt=0)
    population: str = Field(min_length=3)
    quote: str = Field(min_length=3)
    citation: Citation
    conversion: str | None = Field(default=None, min_length=10)

    @model_validator(mode="after")
    def _k_within_n(self) -> Count:
        if self.k > self.n:
            raise ValueError(f"count k={self.k} exceeds n={self.n}")
        return self

    @property
    def proportion(self) -> float:
        return min(max(self.k / self.n, 0.01), 0.99)

    def supports(self, value: float) -> bool:
        return self.conversion is not None or abs(value - self.proportion) <= 0.011

    def describe(self) -> str:
        return f"count {self.k}/{self.n}"


class Statement(_Record):
    """A qualitative frequency stated by the source, mapped through HPO's frequency terms."""

    kind: Literal["statement"]
    quote: str = Field(min_length=3)
    scale: str
    citation: Citation
    conversion: str | None = Field(default=None, min_length=10)

    @field_validator("scale")
    @classmethod
    def _scale_term(cls, value: str) -> str:
        if value not in FREQUENCY_SCALE:
            terms = ", ".join(f"{t.id} {t.label}" for t in FREQUENCY_SCALE.values())
            raise ValueError(f"scale {value!r} is not an HPO frequency term ({terms})")
        return value

    @property
    def term(self) -> FrequencyTerm:
        return FREQUENCY_SCALE[self.scale]

    def supports(self, value: float) -> bool:
        return self.conversion is not None or self.term.admits(value)

    def describe(self) -> str:
        return f"statement ({self.term.label.lower()})"


class Judgement(_Record):
    """Our own estimate. A citation is allowed only with the quoted fact the reasoning rests on."""

    kind: Literal["judgement"]
    reasoning: str = Field(min_length=3)
    citation: Citation | None = None
    quote: str | None = None

    @model_validator(mode="after")
    def _quoted_fact(self) -> Judgement:
        if (self.citation is None) != (self.quote is None):
            raise ValueError(
                "a judgement cites a source only together with the quoted fact it rests on "
                "(give both 'citation' and 'quote', or neither)"
            )
        return self

    def supports(self, value: float) -> bool:
        return True

    def describe(self) -> str:
        return "judgement"


Evidence = Annotated[Count | Statement | Judgement, Field(discriminator="kind")]


@dataclass(frozen=True, slots=True)
class Support:
    """What one number rests on, as a reader sees it: its evidence kind, a short summary (the
    count, the mapped statement or the reasoning), the citation and the quoted passage."""

    kind: str
    summary: str
    citation: str | None = None
    quote: str | None = None

    @property
    def label(self) -> str:
        """'count 29/99', 'statement (frequent)' or 'judgement'."""
        return self.summary.split(":", 1)[0] if self.kind != "judgement" else "judgement"

    @classmethod
    def of(cls, evidence: Count | Statement | Judgement) -> Support:
        if isinstance(evidence, Count):
            converted = f"; converted: {evidence.conversion}" if evidence.conversion else ""
            return cls(
                "count",
                f"count {evidence.k}/{evidence.n}: {evidence.population}{converted}",
                evidence.citation,
                evidence.quote,
            )
        if isinstance(evidence, Statement):
            term = evidence.term
            converted = f"; converted: {evidence.conversion}" if evidence.conversion else ""
            return cls(
                "statement",
                f"statement ({term.label.lower()}): HPO {term.label}, "
                f"{term.low:.0%}-{term.high:.0%}{converted}",
                evidence.citation,
                evidence.quote,
            )
        return cls("judgement", evidence.reasoning, evidence.citation, evidence.quote)
