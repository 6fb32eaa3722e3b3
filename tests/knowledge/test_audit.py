"""The knowledge audit and report: every claim is reachable for review, and no citation points to
a page that is not evidence."""

from __future__ import annotations

from pathlib import Path

from osteodx.knowledge._audit import all_claims, audit_sample, report_markdown
from osteodx.knowledge._evidence import check_citation, citation_form

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_no_shipped_citation_points_to_a_denied_host() -> None:
    denied = [
        (c.file, c.path, part)
        for c in all_claims()
        for part in (c.citation or "").split(";")
        if part.strip() and citation_form(part.strip().split()[0]) == "denied"
    ]
    assert denied == []


def test_every_count_and_statement_cites_a_paper_or_an_official_reference() -> None:
    backed = [c for c in all_claims() if c.kind in ("count", "statement")]
    assert backed
    for c in backed:
        assert c.citation is not None and c.quote
        assert check_citation(c.citation) == c.citation


def test_the_audit_sample_is_reproducible_and_cites_a_source() -> None:
    first = audit_sample(20, seed=11)
    assert first == audit_sample(20, seed=11)
    assert len(first) == 20 and all(c.citation for c in first)
    assert first != audit_sample(20, seed=12)


def test_the_knowledge_report_in_the_docs_is_current() -> None:
    assert (DOCS / "knowledge-report.md").read_text("utf-8") == report_markdown()


def test_the_report_counts_every_kind() -> None:
    text = report_markdown()
    assert "Finding frequencies backed by a count or a statement:" in text
    assert "| **all** |" in text
