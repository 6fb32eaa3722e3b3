"""The literature-review table of a set of published patients (data), and its Markdown/CSV forms.

Percentages are of all patients in the set; "not reported" is its own row so that the rows of a
section add up. Medians and quartiles use linear interpolation (numpy's default).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from osteodx.literature._record import LibraryCase, histology_family

__all__ = [
    "DETECTION_METHODS",
    "ReviewRow",
    "ReviewTable",
    "detection_methods",
    "render_csv",
    "render_markdown",
    "review_table",
]

NOT_REPORTED = "not reported"

# How a primary was found, from the free text of ``primary_found_by`` (first match per method).
DETECTION_METHODS: tuple[tuple[str, str], ...] = (
    ("SSTR PET/scintigraphy", r"dotatate|dotatoc|dotanoc|ga-68|68ga|sstr|octreo|somatostatin"),
    ("18F-DOPA PET", r"dopa"),
    ("FDG PET", r"fdg"),
    ("CT", r"\bct\b"),
    ("MRI", r"\bmri\b"),
    ("endoscopy", r"endoscop|colonoscop|gastroscop"),
    ("surgery/pathology", r"resect|ectomy|surg|specimen|patholog|turp|histolog"),
    ("IHC panel", r"\bihc\b|immunohisto|cdx2|ttf-1"),
    ("autopsy", r"autopsy"),
    ("known history", r"known|prior"),
    ("exclusion of other sites", r"exclu"),
)


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One line of the table: a count (with percent of the set) or a distribution."""

    section: str
    item: str
    count: int
    percent: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class ReviewTable:
    patients: int
    rows: tuple[ReviewRow, ...]


def detection_methods(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    low = text.lower()
    found = tuple(name for name, pattern in DETECTION_METHODS if re.search(pattern, low))
    return found or ("other",)


def _counts(section: str, values: Iterable[str | None], n: int) -> list[ReviewRow]:
    counter = Counter(NOT_REPORTED if v is None else v for v in values)
    reported = sorted(
        ((k, c) for k, c in counter.items() if k != NOT_REPORTED), key=lambda kc: (-kc[1], kc[0])
    )
    rows = [ReviewRow(section, k, c, _pct(c, n)) for k, c in reported]
    if counter.get(NOT_REPORTED):
        rows.append(
            ReviewRow(section, NOT_REPORTED, counter[NOT_REPORTED], _pct(counter[NOT_REPORTED], n))
        )
    return rows


def _multi(section: str, lists: Sequence[Sequence[str]], n: int) -> list[ReviewRow]:
    counter: Counter[str] = Counter(v for values in lists for v in dict.fromkeys(values))
    rows = [
        ReviewRow(section, k, c, _pct(c, n))
        for k, c in sorted(counter.items(), key=lambda kc: (-kc[1], kc[0]))
    ]
    empty = sum(1 for values in lists if not values)
    if empty:
        rows.append(ReviewRow(section, "none reported", empty, _pct(empty, n)))
    return rows


def _pct(count: int, n: int) -> float | None:
    return round(100.0 * count / n, 1) if n else None


def _distribution(section: str, item: str, values: Sequence[float]) -> ReviewRow:
    if not values:
        return ReviewRow(section, item, 0)
    arr = np.asarray(values, dtype=float)
    q1, med, q3 = (float(x) for x in np.percentile(arr, [25, 50, 75]))
    return ReviewRow(
        section, item, len(values), None, med, q1, q3, float(arr.min()), float(arr.max())
    )


def review_table(records: Sequence[LibraryCase]) -> ReviewTable:
    """Counts, median/IQR age, sex, primary sites, lesion types, detection, treatments, outcomes."""
    n = len(records)
    rows: list[ReviewRow] = [ReviewRow("patients", "patients", n, 100.0 if n else None)]
    ages = [r.age for r in records if r.age is not None]
    rows.append(_distribution("age", "age, years", ages))
    rows += _counts("sex", (r.sex for r in records), n)
    rows += _counts("primary site", (r.primary_site for r in records), n)
    rows += _counts(
        "primary found",
        (
            None if r.primary_found is None else ("yes" if r.primary_found else "no")
            for r in records
        ),
        n,
    )
    rows += _multi(
        "primary detected by",
        [detection_methods(r.primary_found_by) for r in records if r.primary_found],
        n,
    )
    rows += _counts("histology", (histology_family(r.histology) for r in records), n)
    rows += _counts("grade", (r.grade for r in records), n)
    rows += _counts("bone lesion type", (r.bone_lesion_type for r in records), n)
    rows += _multi("bone sites", [r.bone_sites for r in records], n)
    rows += _multi("other metastases", [r.other_metastases for r in records], n)
    rows += _multi("imaging", [[i.modality for i in r.imaging] for r in records], n)
    rows += _multi("treatments", [r.treatments for r in records], n)
    rows += _counts("outcome", (r.outcome.status for r in records), n)
    follow = [r.outcome.follow_up_months for r in records if r.outcome.follow_up_months is not None]
    rows.append(_distribution("follow-up", "follow-up, months", follow))
    return ReviewTable(n, tuple(rows))


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _cell(row: ReviewRow) -> str:
    if row.median is not None:
        return (
            f"{row.median:g} ({row.q1:g}-{row.q3:g}); range {row.minimum:g}-{row.maximum:g}; "
            f"n = {row.count}"
        )
    if row.section in ("age", "follow-up"):
        return "not reported"
    if row.percent is None:
        return str(row.count)
    return f"{row.count} ({row.percent:g} %)"


def render_markdown(table: ReviewTable, title: str = "Published patients") -> str:
    """The review table as Markdown: one block per section, median (IQR) for numbers."""
    lines = [f"## {title} (n = {table.patients})", "", "| characteristic | n (%) or median (IQR) |"]
    lines.append("|---|---|")
    section = None
    for row in table.rows:
        if row.section == "patients":
            continue
        if row.section != section:
            section = row.section
            if row.median is not None or row.section in ("age", "follow-up"):
                lines.append(f"| **{row.item}** | {_cell(row)} |")
                continue
            lines.append(f"| **{section}** | |")
        lines.append(f"| &nbsp;&nbsp;{row.item} | {_cell(row)} |")
    lines.append("")
    lines.append(
        "Percentages of all patients in the set; 'not reported' means the source did not say. "
        "Published case reports over-represent unusual presentations."
    )
    return "\n".join(lines) + "\n"


def render_csv(table: ReviewTable) -> str:
    """The review table as CSV: section,item,n,percent,median,q1,q3,min,max."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "item", "n", "percent", "median", "q1", "q3", "min", "max"])
    for r in table.rows:
        writer.writerow(
            [
                r.section,
                r.item,
                r.count,
                _num(r.percent),
                _num(r.median),
                _num(r.q1),
                _num(r.q3),
                _num(r.minimum),
                _num(r.maximum),
            ]
        )
    return out.getvalue()
