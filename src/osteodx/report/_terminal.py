"""Terminal rendering of an :class:`Assessment` with Rich (formatting only, no computing)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from osteodx.assessment import Assessment
from osteodx.differential import Contribution
from osteodx.report._numbers import band_sentence, probability_text
from osteodx.report._tables import FoldingTable

__all__ = ["render_terminal"]


_pct = probability_text  # the one formatter of every output (report/_numbers.py)


def _short_source(source: str | None) -> str:
    """Every citation part on its own line, whole (the column folds what does not fit)."""
    if not source:
        return ""
    return "\n".join(part.strip() for part in source.split(";") if part.strip())


def _reason(c: Contribution) -> str:
    sign = "+" if c.log10_lr >= 0 else ""
    state = "" if c.present else "no "
    if c.match == "not_mentioned":
        state = "not mentioned: "
    kind = c.support.label if c.support is not None else ("judgement" if c.estimate else "")
    cited = _short_source(c.source)
    return f"{state}{c.label} ({sign}{c.log10_lr:.2f}; {kind}{', ' + cited if cited else ''})"


def _render_bone(assessment: Assessment, console: Console) -> None:
    from osteodx.bone import render_treatments
    from osteodx.bone._render import derived_label, needs_text

    bone = assessment.bone
    assert bone is not None
    console.rule("Bone metastases: scores and treatment options")
    table = FoldingTable(title="Scores the case's data allow", expand=True)
    table.add_column("Score", ratio=1)
    table.add_column("Total", justify="right", width=6)
    table.add_column("Category", ratio=3)
    table.add_column("Source", ratio=1)
    for r in bone.scores:
        if r.total is not None and r.category is not None:
            total, category = str(r.total), f"{r.category.label}: {r.category.interpretation}"
        else:
            low, high = r.total_range
            cats = ", ".join(c.label for c in r.possible_categories)
            total = f"{low}-{high}"
            needs = needs_text(r.score, r.missing)
            category = f"cannot compute: needs {needs} (could be: {cats})"
        table.add_row(r.name, total, Text(category), Text(_short_source(r.source)))
    for alt in bone.alternatives:
        a = alt.result
        if a.total is not None and a.category is not None:
            shown, cat = str(a.total), f"{a.category.label}: {a.category.interpretation}"
        else:
            shown, cat = f"{a.total_range[0]}-{a.total_range[1]}", "cannot compute"
        table.add_row(
            Text(f"{a.name}, read by {alt.reading}", style="italic"),
            shown,
            Text(cat),
            Text(_short_source(a.source)),
        )
    console.print(table)
    if bone.derived:
        derived = FoldingTable(title="Values filled in from the case", expand=True)
        derived.add_column("Item or field")
        derived.add_column("Value")
        derived.add_column("Why", ratio=3)
        for d in bone.derived:
            why = d.reason + (" (convention)" if d.convention else "")
            derived.add_row(derived_label(d.target), d.value, Text(why))
        console.print(derived)
    if bone.treatments is not None:
        render_treatments(bone.treatments, console)


def render_terminal(assessment: Assessment, console: Console, top: int = 10) -> None:
    case = assessment.case
    diff = assessment.differential
    age = f"{case.age_years:g} y" if case.age_years is not None else "age unknown"
    header = Text.assemble(
        (f"{case.case_id}", "bold"),
        f"  {case.sex.value}, {age}  ",
        ("in scope" if diff.in_scope else "OUT OF SCOPE", "green" if diff.in_scope else "bold red"),
    )
    scope_line = Text(diff.scope_reason, style="default" if diff.in_scope else "bold red")
    console.print(
        Panel(
            Group(header, scope_line, Text(assessment.disclaimer, style="dim")),
            title="osteodx assessment",
            expand=True,
        )
    )

    table = FoldingTable(
        title="Differential diagnosis (posterior probability)", show_lines=True, expand=True
    )
    table.add_column("#", justify="right", width=3)
    table.add_column("Diagnosis", ratio=2)
    table.add_column("Post.", justify="right", width=6)
    table.add_column("Prior", justify="right", width=6)
    table.add_column("For (log10 LR; evidence, source)", ratio=3)
    table.add_column("Against (log10 LR; evidence, source)", ratio=3)
    for d in diff.diagnoses[:top]:
        table.add_row(
            str(d.rank),
            d.name,
            _pct(d.posttest),
            _pct(d.pretest),
            "\n".join(_reason(c) for c in d.reasons_for()) or "-",
            "\n".join(_reason(c) for c in d.reasons_against()) or "-",
        )
    console.print(table)
    if diff.diagnoses:
        best = diff.diagnoses[0]
        band = band_sentence(best.posttest)
        if band:
            console.print(f"[dim]{escape(band)}[/dim]", soft_wrap=True)
        console.print(
            f"[dim]Evidence: {best.judgement_share():.0%} of the weight of evidence for and "
            f"against {escape(best.name)} rests on our judgements, the rest on published counts "
            "or statements (each reason names its kind).[/dim]",
            soft_wrap=True,
        )

    if assessment.next_tests:
        tests = FoldingTable(
            title="Next tests, in the order a clinician orders them: blood and urine, imaging, "
            "tissue (chosen by expected information gain, and by gain per cost and risk)",
            expand=True,
        )
        # Fold, never cut: a narrow terminal wraps long words rather than dropping their ends.
        tests.add_column("Tier", ratio=1, min_width=9)
        tests.add_column("Test", ratio=3)
        tests.add_column("Gain (bits)", justify="right")
        tests.add_column("Invasiveness")
        tests.add_column("Cost")
        tests.add_column("Most likely results", ratio=3)
        for t in assessment.next_tests:
            outcomes = sorted(t.outcomes, key=lambda o: -o.probability)[:2]
            tests.add_row(
                t.tier,
                Text(t.name) + (Text(f"\n{t.reason}", style="italic") if t.reason else Text("")),
                f"{t.expected_information_gain_bits:.2f}",
                t.invasiveness.replace("_", " "),
                t.cost,
                "\n".join(
                    f"{o.result}: {_pct(o.probability)} -> {o.top_name_after or o.top_key_after} "
                    f"{_pct(o.top_probability_after)}"
                    for o in outcomes
                ),
            )
        console.print(tests)

    if assessment.nen is not None:
        from osteodx.nen import render_workup

        console.rule("Neuroendocrine neoplasm: classification, site of origin, work-up")
        render_workup(assessment.nen, console)
    if assessment.bone is not None:
        _render_bone(assessment, console)

    if case.measurements:
        labs = FoldingTable(
            title="Laboratory values (interpreted with reference ranges)", expand=True
        )
        for col in ("Test", "Entered", "Value", "Reference", "Reading"):
            labs.add_column(col)
        for m in case.measurements:
            ref = (
                f"{m.reference_low if m.reference_low is not None else ''}-"
                f"{m.reference_high if m.reference_high is not None else ''} {m.unit}"
            )
            labs.add_row(m.name, m.entered, f"{m.value:.4g} {m.unit}", ref, m.interpretation)
        console.print(labs)

    if case.text_mentions:
        text = FoldingTable(title="Read from free text (medspaCy ConText)", expand=True)
        # Ratios for every column, or the fixed ones would leave the sentence no room.
        text.add_column("Phrase", ratio=1)
        text.add_column("Finding", ratio=1)
        text.add_column("Counted as", ratio=1)
        text.add_column("Sentence", ratio=3)
        for mention in case.text_mentions:
            counted = {
                "present": "present",
                "negated": "absent (negated)",
                "uncertain": "not counted (uncertain)",
                "family": "not counted (relative)",
                "overridden": "not counted (already recorded or in a test result)",
            }[mention.status]
            text.add_row(mention.phrase, mention.label, counted, mention.sentence)
        console.print(text)

    if assessment.similar_patients:
        similar = FoldingTable(title="Most similar published patients (case library)", expand=True)
        similar.add_column("Patient")
        similar.add_column("Similarity", justify="right")
        similar.add_column("Matched", ratio=2)
        similar.add_column("Differed", ratio=2)
        similar.add_column("Citation", ratio=2)
        for p in assessment.similar_patients:
            similar.add_row(
                p.case_id,
                f"{p.similarity:.2f}",
                "; ".join(f"{c.field}: {c.case}" for c in p.matched[:4]) or "-",
                "; ".join(f"{c.field}: {c.case} (case: {c.query})" for c in p.differed[:3]) or "-",
                p.citation,
            )
        console.print(similar)
    elif assessment.similar_patients_note:
        console.print(f"[dim]{assessment.similar_patients_note}[/dim]")

    for issue in case.warnings:
        console.print(f"[yellow]warning[/yellow] {issue}")
    console.print(
        f"[dim]knowledge base {assessment.knowledge_version}, HPO {assessment.hpo_version}, "
        f"osteodx {assessment.osteodx_version}, {assessment.created}[/dim]"
    )
