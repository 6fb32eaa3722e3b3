"""Rich (terminal) and Markdown rendering of NEN results: formatting only, no computing."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from osteodx.nen._circulating import MarkerInterpretation
from osteodx.nen._classify import Ki67Index, NenClassification, NenWarning, band_text
from osteodx.nen._imaging import ImagingRecommendation
from osteodx.nen._load import grading
from osteodx.nen._site import MarkerRecommendation, SiteContribution, SitePosterior
from osteodx.nen._staging import NenStaging
from osteodx.nen._workup import NenWorkup
from osteodx.report._numbers import probability_text
from osteodx.report._tables import FoldingTable

__all__ = [
    "render_classification",
    "render_imaging",
    "render_ki67",
    "render_markers",
    "render_recommendations",
    "render_site_posterior",
    "render_staging",
    "render_workup",
    "thresholds_markdown",
]


_pct = probability_text  # the one formatter of every output (report/_numbers.py)


def _src(source: str | None) -> str:
    return escape(source) if source else ""


def _warnings(console: Console, warnings: Sequence[NenWarning]) -> None:
    for w in warnings:
        src = f" [dim]({_src(w.source)})[/dim]" if w.source else ""
        console.print(f"[yellow]warning[/yellow] {escape(w.message)}{src}", soft_wrap=True)


def render_classification(c: NenClassification, console: Console) -> None:
    """The category, the rule applied with its source, the measures and the warnings."""
    grade = f"  (grade {c.grade})" if c.grade and c.grade not in c.category else ""
    console.print(
        f"[bold]{escape(c.category)}[/bold]{grade}  [dim]({c.site}; {escape(c.system_name)})[/dim]"
    )
    console.print(f"rule: {escape(c.rule)}", soft_wrap=True)
    console.print(f"source: {_src(c.source)}", soft_wrap=True)
    if c.convention:
        console.print(
            f"[cyan]convention[/cyan] {escape(c.convention)} "
            f"[dim]({_src(c.convention_source)})[/dim]",
            soft_wrap=True,
        )
    for crit in c.criteria:
        mark = " [bold]<- decisive[/bold]" if crit.decisive else ""
        grade_text = f" -> {crit.grade}" if crit.grade else ""
        label = _MEASURE_LABEL.get(crit.measure, crit.measure.replace("_", " "))
        value = f"{crit.value:g}" if isinstance(crit.value, float) else str(crit.value)
        console.print(f"  {label} {value}: {escape(crit.band)}{grade_text}{mark}")
    for comp in c.components:
        label = (
            comp.classification.category if comp.classification else (comp.histology or comp.kind)
        )
        console.print(f"  component {comp.kind} {comp.percent:g} %: {escape(label)}")
    console.print(f"NE differentiation: {c.ne_differentiation.replace('_', ' ')}")
    _warnings(console, c.warnings)


# The grading measures as a pathologist names them (classification criteria carry the keys).
_MEASURE_LABEL = {
    "ki67_percent": "Ki-67 index (%)",
    "mitoses_per_2mm2": "Mitoses per 2 mm²",
    "necrosis": "Necrosis",
    "differentiation": "Differentiation",
    "size_mm": "Size (mm)",
    "neuroendocrine_percent": "Neuroendocrine component (%)",
    "non_neuroendocrine_percent": "Non-neuroendocrine component (%)",
}


def render_ki67(k: Ki67Index, console: Console) -> None:
    ok = "" if k.enough_cells else " [yellow](fewer than required)[/yellow]"
    console.print(f"[bold]Ki-67 {k.percent:.1f} %[/bold] ({k.positive}/{k.total} cells){ok}")
    console.print(
        f"GEP band: {escape(k.band)} -> {k.gep_grade} "
        f"(minimum {k.minimum_cells} cells; {_src(k.source)})"
    )
    _warnings(console, k.warnings)


def _contribution(c: SiteContribution) -> str:
    sign = "+" if c.log10_lr >= 0 else ""
    lo, hi = c.frequency_interval
    imputed = ", no data: imputed" if c.imputed else ""
    studies = ", ".join(f"{s.study} {s.k}/{s.n}" for s in c.studies[:3])
    more = f"; {studies}" if studies and c.kind == "marker" else ""
    weight = f", weight {c.weight:g}" if c.weight != 1 else ""
    return (
        f"{c.evidence} {c.result}: {sign}{c.log10_lr:.2f} "
        f"(P+ {c.frequency:.2f} [{lo:.2f}-{hi:.2f}]{imputed}{weight}{more})"
    )


def render_site_posterior(p: SitePosterior, console: Console, top: int = 10) -> None:
    """The posterior over primary sites with each marker's contribution."""
    table = FoldingTable(
        title="Site of origin (posterior probability)", show_lines=True, expand=True
    )
    table.add_column("Site", ratio=2)
    table.add_column("Post.", justify="right", width=6)
    level = f"{100 * p.credible_level:.0f}% interval"
    table.add_column(level, justify="right", width=13)
    table.add_column("Prior", justify="right", width=6)
    table.add_column(
        escape("Contributions (log10 LR; P(positive | site) [interval]; studies k/n)"), ratio=5
    )
    for s in p.sites[:top]:
        lo, hi = s.probability_interval
        table.add_row(
            escape(s.label),
            _pct(s.probability),
            f"{_pct(lo)}-{_pct(hi)}",
            _pct(s.prior),
            escape("\n".join(_contribution(c) for c in s.contributions)) or "-",
        )
    console.print(table)
    console.print(
        f"[dim]prior ({p.prior_name}): {escape(p.prior_basis or '')} "
        f"({_src(p.prior_source)}); estimate[/dim]",
        soft_wrap=True,
    )
    for e in p.evidence:
        if e.used != "scored" or e.reason:
            console.print(
                f"[dim]{escape(e.name)}={e.result}: {e.used.replace('_', ' ')}"
                f"{'; ' + escape(e.reason) if e.reason else ''}[/dim]",
                soft_wrap=True,
            )
    _warnings(console, p.warnings)


def render_recommendations(recs: Sequence[MarkerRecommendation], console: Console) -> None:
    if not recs:
        return
    table = FoldingTable(
        title="Next markers (expected information gain about the site)", expand=True
    )
    table.add_column("Marker")
    table.add_column("Gain (bits)", justify="right")
    table.add_column("P(pos)", justify="right")
    table.add_column("If positive")
    table.add_column("If negative")
    for r in recs:
        table.add_row(
            escape(r.label),
            f"{r.expected_information_gain_bits:.2f}",
            _pct(r.p_positive),
            f"{r.if_positive[0]} {_pct(r.if_positive[1])}",
            f"{r.if_negative[0]} {_pct(r.if_negative[1])}",
        )
    console.print(table)


def render_imaging(items: Sequence[ImagingRecommendation], console: Console) -> None:
    if not items:
        return
    table = FoldingTable(title="Imaging work-up", show_lines=True, expand=True)
    table.add_column("Test", ratio=2)
    table.add_column("", width=15)
    table.add_column("Why (source)", ratio=3)
    for r in items:
        table.add_row(
            escape(r.modality),
            r.recommendation.replace("_", " "),
            f"{escape(r.reason)} ({_src(r.source)})",
        )
    console.print(table)


def render_markers(items: Sequence[MarkerInterpretation], console: Console) -> None:
    """Circulating markers: status, meaning, confounders, caveats with sources."""
    for m in items:
        value = f" {m.value:g}" if m.value is not None else ""
        unit = f" {escape(m.unit)}" if m.unit else ""
        ratio = f" ({m.times_upper_limit:.1f} x ULN)" if m.times_upper_limit is not None else ""
        console.print(
            f"[bold]{escape(m.label)}[/bold]{value}{unit}{ratio}: [bold]{m.status}[/bold] "
            f"[dim]({escape(m.status_basis)})[/dim]",
            soft_wrap=True,
        )
        console.print(f"  {escape(m.meaning)}", soft_wrap=True)
        for c in m.confounders:
            flag = "[yellow]confounder[/yellow]" if c.relevant else "[dim]recorded[/dim]"
            console.print(
                f"  {flag} {escape(c.label)} ({c.effect} the value; {_src(c.source)})",
                soft_wrap=True,
            )
        for a in m.advice:
            console.print(
                f"  [cyan]advice[/cyan] {escape(a.text)} ({_src(a.source)})", soft_wrap=True
            )
        for cav in m.caveats:
            console.print(
                f"  [dim]caveat: {escape(cav.text)} ({_src(cav.source)})[/dim]", soft_wrap=True
            )
        _warnings(console, m.warnings)


def render_staging(s: NenStaging, console: Console) -> None:
    if s.applies:
        t = f"{s.t} " if s.t else ""
        eq = "-equivalent" if s.m_equivalent else ""
        stage = f", stage {s.stage}" if s.stage else ""
        console.print(
            f"[bold]Staging[/bold] {t}{s.m}{eq}{stage}: {escape(s.m_definition or '')}",
            soft_wrap=True,
        )
    else:
        console.print(f"[bold]Staging[/bold] {escape(s.system)}", soft_wrap=True)
    console.print(f"  {escape(s.statement)} ({_src(s.source)})", soft_wrap=True)
    if s.convention:
        console.print(f"  [cyan]convention[/cyan] {escape(s.convention)}", soft_wrap=True)
    _warnings(console, s.warnings)


def render_workup(w: NenWorkup, console: Console, top: int = 6) -> None:
    """The whole work-up of one NEN biopsy."""
    console.print(f"[dim]{escape(w.disclaimer)}[/dim]", soft_wrap=True)
    render_classification(w.classification, console)
    if w.staging is not None:
        render_staging(w.staging, console)
    if w.site_posterior is not None:
        render_site_posterior(w.site_posterior, console, top=top)
    render_recommendations(w.recommended_markers, console)
    render_imaging(w.imaging, console)
    render_markers(w.circulating, console)


def thresholds_markdown() -> str:
    """The grading thresholds of ``data/grading.yaml`` as Markdown tables (for docs/nen.md)."""
    g = grading()
    lines = [
        f"GEP ({g.gep.name}; source {g.gep.source}):",
        "",
        "| grade | Ki-67 | mitoses per 2 mm² |",
        "|---|---|---|",
    ]
    for i, (ki, mi) in enumerate(zip(g.gep.ki67_percent, g.gep.mitoses_per_2mm2, strict=True)):
        prev_ki = g.gep.ki67_percent[i - 1] if i else None
        prev_mi = g.gep.mitoses_per_2mm2[i - 1] if i else None
        lines.append(
            f"| NET {ki.grade} | {band_text(ki, prev_ki, ' %', 'Ki-67')} | "
            f"{band_text(mi, prev_mi, '', 'mitoses')} |"
        )
    t = g.thoracic
    tc = f"{t.typical_mitoses_below.value:g}"
    ac = f"{t.atypical_mitoses_max.value:g}"
    lines += [
        "",
        f"Lung and thymus ({t.name}; source {t.source}):",
        "",
        "| category | criteria |",
        "|---|---|",
        f"| tumorlet | < {t.tumorlet_size_below_mm.value:g} mm, mitoses < {tc}, no necrosis |",
        f"| typical carcinoid | mitoses < {tc} per 2 mm² and no necrosis |",
        f"| atypical carcinoid | {tc}-{ac} mitoses per 2 mm² and/or necrosis |",
        f"| LCNEC / SCLC | mitoses > {ac} per 2 mm², cytology decides |",
        "",
        f"MiNEN: each component >= {g.minen.component_min_percent.value:g} %. "
        f"Ki-67 count: at least {g.ki67_count.minimum_cells.value:g} tumour cells in the hot spot.",
    ]
    return "\n".join(lines)
