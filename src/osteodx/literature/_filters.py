"""Filters over library records: ``FIELD=VALUE``, ``FIELD!=VALUE``, ``FIELD>=N`` ...

``=`` on a list field (bone_sites, treatments, ...) means "contains"; a comma-separated value
means any of them (``primary_site=lung,pancreas``); text values are case-insensitive and may use
``*`` (``primary_site=other:*``); ``null`` matches "not reported" (``grade=null``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from osteodx.literature._errors import LibraryError
from osteodx.literature._record import LibraryCase, histology_family

__all__ = ["FILTER_FIELDS", "Filter", "apply_filters", "parse_filter"]


def _markers(r: LibraryCase) -> tuple[str, ...]:
    return tuple(m.name.lower() for m in r.circulating_markers if m.elevated)


def _ihc(r: LibraryCase) -> tuple[str, ...]:
    return tuple(f"{k}:{v}" for k, v in r.ihc.items()) + tuple(r.ihc)


Getter = Callable[[LibraryCase], Any]
FILTER_FIELDS: dict[str, tuple[str, Getter]] = {
    "case_id": ("text", lambda r: r.case_id),
    "age": ("number", lambda r: r.age),
    "sex": ("text", lambda r: r.sex),
    "year": ("number", lambda r: r.citation.year),
    "pmid": ("text", lambda r: r.citation.pmid),
    "doi": ("text", lambda r: r.citation.doi),
    "primary_site": ("text", lambda r: r.primary_site),
    "primary_found": ("bool", lambda r: r.primary_found),
    "histology": ("text", lambda r: histology_family(r.histology)),
    "grade": ("text", lambda r: r.grade),
    "ki67_percent": ("number", lambda r: r.ki67_percent),
    "carcinoid_syndrome": ("bool", lambda r: r.carcinoid_syndrome),
    "bone": ("bool", lambda r: r.bone_involved),
    "bone_lesion_type": ("text", lambda r: r.bone_lesion_type),
    "bone_sites": ("list", lambda r: r.bone_sites),
    "other_metastases": ("list", lambda r: r.other_metastases),
    "treatments": ("list", lambda r: r.treatments),
    "ihc": ("list", _ihc),
    "elevated_markers": ("list", _markers),
    "status": ("text", lambda r: r.outcome.status),
    "follow_up_months": ("number", lambda r: r.outcome.follow_up_months),
}

_EXPR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(!=|>=|<=|=|>|<)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    op: str
    values: tuple[str, ...]

    def matches(self, record: LibraryCase) -> bool:
        kind, getter = FILTER_FIELDS[self.field]
        value = getter(record)
        if self.op in (">=", "<=", ">", "<"):
            if value is None:
                return False
            bound = float(self.values[0])
            return bool(
                {
                    ">=": value >= bound,
                    "<=": value <= bound,
                    ">": value > bound,
                    "<": value < bound,
                }[self.op]
            )
        hit = any(_equal(kind, value, v) for v in self.values)
        return hit if self.op == "=" else not hit


def _equal(kind: str, value: Any, wanted: str) -> bool:
    w = wanted.lower()
    if w == "null":
        return value is None or (kind == "list" and not value)
    if value is None:
        return False
    if kind == "list":
        return any(fnmatch.fnmatchcase(str(v).lower(), w) for v in value)
    if kind == "bool":
        return bool(value) == (w in ("true", "yes", "1"))
    if kind == "number":
        return float(value) == float(wanted)
    return fnmatch.fnmatchcase(str(value).lower(), w)


def parse_filter(text: str) -> Filter:
    """Parse ``FIELD<op>VALUE``; raise :class:`LibraryError` naming the field and the fix."""
    m = _EXPR.match(text)
    if not m:
        raise LibraryError(
            f"filter {text!r} is not FIELD=VALUE",
            "write e.g. sex=male, age>=18, primary_site=lung,pancreas, bone_sites=spine",
        )
    field, op, raw = m.groups()
    if field not in FILTER_FIELDS:
        raise LibraryError(
            f"filter field {field!r} is unknown",
            f"use one of: {', '.join(FILTER_FIELDS)}",
        )
    kind = FILTER_FIELDS[field][0]
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    if not values:
        raise LibraryError(f"filter {text!r} has no value", f"write e.g. {field}=... or null")
    if op in (">=", "<=", ">", "<"):
        if kind != "number":
            raise LibraryError(
                f"filter {text!r}: {op} needs a number field",
                "use = or != on this field, or one of: "
                + ", ".join(k for k, (kd, _) in FILTER_FIELDS.items() if kd == "number"),
            )
        if len(values) != 1:
            raise LibraryError(f"filter {text!r}: give one number", f"write e.g. {field}>=18")
    if kind == "number" or op in (">=", "<=", ">", "<"):
        for v in values:
            if v.lower() == "null" and op in ("=", "!="):
                continue
            try:
                float(v)
            except ValueError:
                raise LibraryError(
                    f"filter {text!r}: {v!r} is not a number", f"write e.g. {field}>=18"
                ) from None
    if kind == "bool":
        for v in values:
            if v.lower() not in ("true", "false", "yes", "no", "1", "0", "null"):
                raise LibraryError(
                    f"filter {text!r}: {v!r} is not true/false", f"write {field}=true or false"
                )
    return Filter(field, op, values)


def apply_filters(
    records: Iterable[LibraryCase], filters: Iterable[Filter]
) -> tuple[LibraryCase, ...]:
    fs = tuple(filters)
    return tuple(r for r in records if all(f.matches(r) for f in fs))
