"""Links for citations: every reference a clinician sees in HTML (and so in PDF) opens its
source. A citation part is a PMID, PMC id, DOI or web address (knowledge/_schema.check_source);
a pointer into this project's docs (``docs/...#anchor``, our stated judgement) stays text."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_PMID = re.compile(r"^PMID:?\s?(\d+)", re.IGNORECASE)
_PMC = re.compile(r"^PMC(\d+)", re.IGNORECASE)
_DOI = re.compile(r"^DOI:?\s?(10\.\S+)", re.IGNORECASE)
_URL = re.compile(r"^(https?://\S+)", re.IGNORECASE)
# Punctuation that closes the sentence around a citation, not part of the address.
_TRAILING = ".,;:)]"


def citation_url(part: str) -> str | None:
    """The address of one citation part, or None when it names no outside source."""
    part = part.strip()
    if m := _PMID.match(part):
        return f"https://pubmed.ncbi.nlm.nih.gov/{m.group(1)}/"
    if m := _PMC.match(part):
        return f"https://pmc.ncbi.nlm.nih.gov/articles/PMC{m.group(1)}/"
    if m := _DOI.match(part):
        return f"https://doi.org/{m.group(1).rstrip(_TRAILING)}"
    if m := _URL.match(part):
        return m.group(1).rstrip(_TRAILING)
    return None


def cite(source: str | None) -> Markup:
    """A source (citation parts separated by ';') as HTML, each part a link where it has one."""
    if not source:
        return Markup("")
    rendered = []
    for part in (p.strip() for p in source.split(";")):
        if not part:
            continue
        url = citation_url(part)
        rendered.append(Markup('<a href="{}">{}</a>').format(url, part) if url else escape(part))
    return Markup("; ").join(rendered)
