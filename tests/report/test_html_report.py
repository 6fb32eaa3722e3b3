"""HTML and PDF reports: disclaimer, date, inputs, every source, scope, escaping."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import osteodx
from osteodx.report import render_html, write_report

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def assessment() -> osteodx.Assessment:
    return osteodx.assess(osteodx.read_case(EXAMPLES / "founding-case.yaml"))


def test_report_has_disclaimer_date_inputs_and_sources(assessment) -> None:
    html = render_html(assessment)
    assert "not a medical device" in html
    assert assessment.created in html
    assert "Elevated circulating neuron-specific enolase concentration" in html
    top = assessment.differential.diagnoses[0]
    assert top.name in html
    for contribution in top.contributions:
        if contribution.source and abs(contribution.log10_lr) >= 0.01:
            for part in contribution.source.split(";"):
                assert part.strip() in html
    assert "<svg" in html and "Posterior probability" in html


def test_report_loads_nothing_from_another_host(assessment) -> None:
    html = render_html(assessment)
    for tag in ("<script", "<link", "@import", 'src="http'):
        assert tag not in html


def test_user_text_is_escaped(assessment) -> None:
    hostile = replace(assessment, case=replace(assessment.case, case_id="<script>x</script>"))
    html = render_html(hostile)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;" in html


def test_out_of_scope_is_said_plainly() -> None:
    from osteodx.case import parse_case_form

    case = parse_case_form({"id": "x", "findings": ["Back pain"]}, "x", None)
    html = render_html(osteodx.assess(case))
    assert "OUT OF SCOPE" in html


def test_pdf_report_is_written(assessment, tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    write_report(assessment, path)
    assert path.read_bytes()[:5] == b"%PDF-"


def test_report_suffix_must_be_html_or_pdf(assessment, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"must end in \.html or \.pdf"):
        write_report(assessment, tmp_path / "a.docx")


def test_the_site_table_shows_each_sites_own_contribution_not_the_markers_weight() -> None:
    import re

    import yaml

    import osteodx
    from osteodx.case import parse_case_form

    examples = Path(__file__).parents[2] / "examples"
    form = yaml.safe_load((examples / "founding-case-biopsy.yaml").read_text("utf-8"))
    form["pathology"]["markers"]["CDX2"] = "pos"
    assessment = osteodx.assess(parse_case_form(form, "form"), similar=0)
    assert assessment.nen is not None and assessment.nen.site_posterior is not None
    html = render_html(assessment)
    shown = set(re.findall(r"\(([+-]\d\.\d\d)\)", html))
    sites = assessment.nen.site_posterior.sites
    expected = {
        f"{c.log10_lr:+.2f}" for s in sites for c in s.contributions if abs(c.log10_lr) >= 0.01
    }
    assert expected and expected <= shown
