"""Terminal renderers (Rich) for library listings, one case, similar patients and imports.

They only format what the engines returned.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from osteodx.literature._record import LibraryCase, citation_text
from osteodx.literature._search import SimilarCase
from osteodx.literature._similarity import Comparison
from osteodx.literature._store import ImportReport
from osteodx.report._tables import FoldingTable

__all__ = ["render_case", "render_cases", "render_import", "render_similar"]

DISCLAIMER = (
    "Published case reports, for comparison and literature review only; decision support, "
    "not a medical device."
)


def _v(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def short_citation(record: LibraryCase) -> str:
    """Author year and the first identifier (PMID, DOI or URL)."""
    c = record.citation
    head = f"{c.first_author or ''} {c.year or ''}".strip()
    ident = f"PMID:{c.pmid}" if c.pmid else (f"DOI:{c.doi}" if c.doi else (c.url or ""))
    return f"{head}, {ident}" if head else ident


def render_cases(records: Sequence[LibraryCase], console: Console) -> None:
    table = FoldingTable(title=f"Case library ({len(records)} patients)", show_lines=False)
    for col in ("case", "age", "sex", "primary", "histology", "grade", "bone", "source"):
        table.add_column(col, overflow="fold")
    for r in records:
        c = r.citation
        source = f"{c.first_author or ''} {c.year or ''}".strip() or (
            f"PMID:{c.pmid}" if c.pmid else (c.doi or c.url or "")
        )
        table.add_row(
            r.case_id,
            _v(r.age),
            _v(r.sex),
            _v(r.primary_site),
            _v(r.histology),
            _v(r.grade),
            _v(r.bone_lesion_type) if r.bone_lesion_type else ("yes" if r.bone_sites else "-"),
            source,
        )
    console.print(table)


def render_case(record: LibraryCase, console: Console) -> None:
    console.print(f"[bold]{record.case_id}[/bold]  {citation_text(record.citation)}")
    if record.citation.url:
        console.print(f"  read at: {record.citation.url}")
    rows = [
        ("age / sex", f"{_v(record.age)} / {_v(record.sex)}"),
        ("presentation", record.presentation),
        ("symptoms", ", ".join(record.symptoms) or "-"),
        ("primary", f"{_v(record.primary_site)} (found by: {_v(record.primary_found_by)})"),
        ("histology / grade", f"{_v(record.histology)} / {_v(record.grade)}"),
        ("Ki-67 %", _v(record.ki67_percent)),
        ("IHC", ", ".join(f"{k} {v}" for k, v in record.ihc.items()) or "-"),
        (
            "markers",
            ", ".join(
                f"{m.name} {'elevated' if m.elevated else 'normal' if m.elevated is False else '?'}"
                for m in record.circulating_markers
            )
            or "-",
        ),
        (
            "bone lesions",
            f"{_v(record.bone_lesion_type)}; sites: {', '.join(record.bone_sites) or '-'}",
        ),
        ("other metastases", ", ".join(record.other_metastases) or "-"),
        ("imaging", "; ".join(f"{i.modality}: {i.finding}" for i in record.imaging) or "-"),
        ("treatments", ", ".join(record.treatments) or "-"),
        (
            "outcome",
            f"{_v(record.outcome.status)}; follow-up {_v(record.outcome.follow_up_months)} months; "
            f"{_v(record.outcome.response)}",
        ),
        ("notes", record.notes or "-"),
    ]
    for label, value in rows:
        console.print(f"  [bold]{label}:[/bold] {value}", soft_wrap=False)


def _items(items: Sequence[Comparison]) -> str:
    out = []
    for i in items:
        if i.query == i.case:
            out.append(f"{i.field} {i.query}")
        else:
            out.append(f"{i.field} {i.query} vs {i.case}")
    return "; ".join(out) or "-"


def render_similar(matches: Sequence[SimilarCase], console: Console, title: str = "") -> None:
    table = FoldingTable(title=title or "Most similar published patients", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("case")
    table.add_column("similarity", justify="right")
    table.add_column("matched", overflow="fold")
    table.add_column("differed", overflow="fold")
    table.add_column("not reported", overflow="fold")
    table.add_column("source", overflow="fold")
    for n, m in enumerate(matches, start=1):
        table.add_row(
            str(n),
            m.case_id,
            f"{m.similarity:.2f} (coverage {m.coverage:.0%})",
            _items(m.matched),
            _items(m.differed),
            ", ".join(m.not_reported) or "-",
            short_citation(m.record),
        )
    console.print(table)
    console.print(DISCLAIMER, style="dim")


def render_import(report: ImportReport, console: Console) -> None:
    console.print(
        f"read {report.read}, added {len(report.added)}, merged {len(report.merged)}, "
        f"unchanged {len(report.unchanged)}, skipped {len(report.skipped)}"
    )
