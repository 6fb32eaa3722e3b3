"""HTML and PDF reports of an :class:`Assessment` (Jinja2; PDF through WeasyPrint).

Formatting only: every number shown comes from the assessment. The bar chart is inline SVG built
here, so the report is one self-contained file that loads nothing from another host.
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from osteodx.assessment import Assessment
from osteodx.report._links import cite
from osteodx.report._numbers import band_sentence, probability_text

__all__ = [
    "probability_chart_svg",
    "render_html",
    "report_css",
    "write_pdf",
    "write_report",
]

MENTION_STATUS = {
    "present": "present",
    "negated": "absent (negated)",
    "uncertain": "not counted (uncertain)",
    "family": "not counted (about a relative)",
    "overridden": "not counted (already recorded)",
}


_pct = probability_text  # the one formatter of every output (report/_numbers.py)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("osteodx.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["pct"] = _pct
    env.filters["cite"] = cite
    # The bone section's labels, imported here (once: the environment is cached) because the
    # bone package imports the report's shared pieces at load.
    from osteodx.bone._render import derived_label, needs_text, requirement_line

    env.globals["derived_label"] = derived_label
    env.globals["needs_text"] = needs_text
    env.globals["requirement"] = requirement_line
    env.globals["band_sentence"] = band_sentence
    env.globals["mention_status"] = MENTION_STATUS
    return env


def probability_chart_svg(assessment: Assessment, top: int = 10) -> str:
    """A horizontal bar chart of the leading posterior probabilities as inline SVG."""
    rows = assessment.differential.diagnoses[:top]
    bar_h, gap, label_w, bar_w = 18, 6, 300, 320
    height = len(rows) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 70}" '
        f'height="{height}" aria-label="Posterior probability of the leading diagnoses">'
    ]
    for i, d in enumerate(rows):
        y = gap + i * (bar_h + gap)
        width = max(1.0, d.posttest * bar_w)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end">'
            f"{escape(d.name[:48])}</text>"
            f'<rect x="{label_w}" y="{y}" width="{width:.1f}" height="{bar_h}" fill="#3f6fb5">'
            f"<title>{escape(d.name)}: {_pct(d.posttest)}</title></rect>"
            f'<text x="{label_w + width + 5:.1f}" y="{y + bar_h - 5}">{_pct(d.posttest)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _sources(assessment: Assessment, top: int) -> list[str]:
    seen: dict[str, None] = {}
    for d in assessment.differential.diagnoses[:top]:
        if d.prior_source:
            seen.setdefault(d.prior_source, None)
        for c in d.contributions:
            if c.source and abs(c.log10_lr) >= 0.01:
                seen.setdefault(c.source, None)
    for t in assessment.next_tests:
        if t.source:
            seen.setdefault(t.source, None)
    for m in assessment.case.measurements:
        if m.reference_source:
            seen.setdefault(m.reference_source, None)
    for source in _section_sources(assessment):
        seen.setdefault(source, None)
    out: dict[str, None] = {}
    for entry in seen:
        for part in entry.split(";"):
            if part.strip():
                out.setdefault(part.strip(), None)
    return list(out)


def _section_sources(assessment: Assessment) -> list[str]:
    """The sources cited in the NEN and bone sections, in the order they appear."""
    out: list[str | None] = []
    w = assessment.nen
    if w is not None:
        c = w.classification
        out += [c.source, c.convention_source or ""]
        out += [x.source or "" for x in c.warnings]
        if w.staging is not None:
            out.append(w.staging.source)
        if w.site_posterior is not None:
            out.append(w.site_posterior.prior_source)
        out += [i.source for i in w.imaging]
        out += [cv.source for m in w.circulating for cv in m.caveats]
    b = assessment.bone
    if b is not None:
        out += [r.source for r in b.scores]
        out += [d.source or "" for d in b.derived]
        if b.treatments is not None:
            for o in b.treatments.options:
                out += [t.source for t in o.key_trials]
                out += [g.source for g in o.guideline]
    return [s for s in out if s]


def render_html(
    assessment: Assessment,
    top: int = 10,
    expand_all: bool = False,
    stylesheet: str | None = None,
    export_fields: dict[str, str] | None = None,
) -> str:
    """The HTML report: standalone (CSS inlined) by default; on the web page the stylesheet is
    linked (``stylesheet``) and ``export_fields`` add the PDF export form. ``expand_all`` opens
    every diagnosis, as print needs."""
    case = assessment.case
    age = f"{case.age_years:g} years" if case.age_years is not None else "age not given"
    return (
        _environment()
        .get_template("assessment.html.j2")
        .render(
            a=assessment,
            age=age,
            top=top,
            expand_all=expand_all,
            stylesheet=stylesheet,
            export_fields=export_fields,
            css=report_css(),
            chart=probability_chart_svg(assessment, top),
            sources=_sources(assessment, top),
        )
    )


@cache
def report_css() -> str:
    """The report's stylesheet (inlined in standalone files, served by the web page)."""
    return (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")


def write_pdf(assessment: Assessment, path: Path, top: int = 10) -> None:
    from weasyprint import HTML  # imported on demand: it loads system libraries

    HTML(string=render_html(assessment, top, expand_all=True)).write_pdf(str(path))


def write_report(assessment: Assessment, path: Path, top: int = 10) -> None:
    """Write ``path`` as HTML or PDF according to its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        write_pdf(assessment, path, top)
    elif suffix in (".html", ".htm"):
        path.write_text(render_html(assessment, top), encoding="utf-8")
    else:
        raise ValueError(f"report file {path.name!r} must end in .html or .pdf")
