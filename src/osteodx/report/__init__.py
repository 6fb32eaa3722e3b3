"""Renderers: they format an Assessment and never compute."""

from osteodx.report._fhir import assessment_to_fhir
from osteodx.report._html import (
    probability_chart_svg,
    render_html,
    report_css,
    write_pdf,
    write_report,
)
from osteodx.report._terminal import render_terminal

__all__ = [
    "assessment_to_fhir",
    "probability_chart_svg",
    "render_html",
    "render_terminal",
    "report_css",
    "write_pdf",
    "write_report",
]
