"""Names users type for sites, markers and results, mapped onto the ids of the data files."""

from __future__ import annotations

import functools
import re
from typing import Literal

from osteodx.nen._errors import NenInputError, choice_error
from osteodx.nen._load import grading, name_key, site_markers
from osteodx.nen._schema import SiteEntry

__all__ = [
    "MARKER_STATUSES",
    "MarkerStatus",
    "accepted_markers",
    "accepted_sites",
    "canonical_marker",
    "canonical_site",
    "marker_status",
    "origin_sites",
    "site_entry",
]

MarkerStatus = Literal["pos", "neg", "focal", "not_done"]
MARKER_STATUSES: tuple[MarkerStatus, ...] = ("pos", "neg", "focal", "not_done")

_STATUS_WORDS: dict[str, MarkerStatus] = {
    **dict.fromkeys(("pos", "positive", "+", "yes", "present", "diffuse", "strong"), "pos"),
    **dict.fromkeys(("neg", "negative", "-", "no", "absent"), "neg"),
    **dict.fromkeys(("focal", "weak", "partial", "patchy", "focally", "weakly"), "focal"),
    **dict.fromkeys(("not_done", "notdone", "nd", "na", "n/a", "not done", "none"), "not_done"),
}


@functools.cache
def _site_index() -> dict[str, SiteEntry]:
    index: dict[str, SiteEntry] = {}
    for s in grading().sites:
        for name in (s.id, *s.aliases):
            index[name_key(name)] = s
    return index


def accepted_sites() -> tuple[str, ...]:
    """The site ids the grader accepts (aliases such as 'ileum' are accepted too)."""
    return tuple(s.id for s in grading().sites)


def canonical_site(name: str, field: str = "site") -> str:
    """The site id for a typed name: 'Ileum' -> small_intestine, 'other:kidney' -> other."""
    text = name.strip()
    if text.lower().startswith("other:"):
        rest = _site_index().get(name_key(text[6:]))
        return rest.id if rest is not None else "other"
    entry = _site_index().get(name_key(text))
    if entry is None:
        raise choice_error(field, name, accepted_sites(), "site")
    return entry.id


def site_entry(site_id: str) -> SiteEntry:
    """The declaration of a canonical site id."""
    return _site_index()[name_key(site_id)]


def origin_sites() -> tuple[str, ...]:
    """The sites of the site-of-origin model, in declaration order."""
    return tuple(s.id for s in site_markers().sites)


@functools.cache
def _marker_index() -> dict[str, str]:
    data = site_markers()
    index: dict[str, str] = {}
    entries = [(m.id, m.aliases) for m in data.markers]
    entries += [(m.id, m.aliases) for m in data.recognised_markers]
    for marker_id, aliases in entries:
        for name in (marker_id, *aliases):
            index[name_key(name)] = marker_id
    return index


def accepted_markers() -> tuple[str, ...]:
    """Every marker id accepted in a panel (site-informative ones first)."""
    data = site_markers()
    return tuple(m.id for m in data.markers) + tuple(m.id for m in data.recognised_markers)


def canonical_marker(name: str) -> str | None:
    """The marker id for a typed name ('TTF1', 'NKX2-1' -> ttf1), or None if unknown."""
    return _marker_index().get(name_key(name))


def require_marker(name: str, field: str = "markers") -> str:
    """Like :func:`canonical_marker`, but an unknown name is an input error."""
    marker = canonical_marker(name)
    if marker is None:
        raise choice_error(f"{field}.{name}", name, accepted_markers(), "marker")
    return marker


_POSITIVE_WORDS = frozenset(("pos", "positive", "+", "expressed", "staining", "stained"))
_FOCAL_QUALIFIERS = frozenset(
    ("focal", "focally", "weak", "weakly", "partial", "partially", "patchy", "scattered")
)
_STRONG_QUALIFIERS = frozenset(("diffuse", "diffusely", "strong", "strongly", "moderate"))
_WORD = re.compile(r"[a-z]+|\+")


def _qualified_status(text: str) -> MarkerStatus | None:
    """'weakly positive', 'positive (focal)', 'diffusely +' -> focal or pos; else None."""
    words = _WORD.findall(text)
    allowed = _POSITIVE_WORDS | _FOCAL_QUALIFIERS | _STRONG_QUALIFIERS
    if len(words) < 2 or not set(words) <= allowed or not set(words) & _POSITIVE_WORDS:
        return None
    return "focal" if set(words) & _FOCAL_QUALIFIERS else "pos"


def marker_status(value: object, field: str = "result", marker: str | None = None) -> MarkerStatus:
    """'positive', '+', 'weak', 'weakly positive', 'not done' ... -> pos | neg | focal | not_done.

    A positive result qualified as focal, weak, partial or patchy is focal; qualified as diffuse
    or strong it is positive.
    """
    if isinstance(value, bool):
        return "pos" if value else "neg"
    text = str(value).strip().lower()
    status = (
        _STATUS_WORDS.get(text)
        or _STATUS_WORDS.get(text.replace(" ", "_"))
        or _qualified_status(text)
    )
    if status is None and marker == "ki67_marker":
        raise NenInputError(
            field,
            f"{value!r} is a proliferation index, not a stain result",
            "give the Ki-67 index as ki67 (percent of tumour cells), e.g. ki67: 10",
        )
    if status is None:
        raise NenInputError(
            field,
            f"{value!r} is not a marker result",
            "use pos, neg, focal or not_done",
            MARKER_STATUSES,
        )
    return status
