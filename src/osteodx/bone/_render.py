"""Renderers of the bone package: terminal (Rich), CLI help text and Markdown. They only format
what the engines and the declarations hold; they never compute a score or an eligibility."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from osteodx.bone._engine import ScoreResult, accepted_values, worked_examples
from osteodx.bone._load import list_scores, nen_conventions, treatment_data
from osteodx.bone._schema import Item, LabDerivation, ScoreDeclaration, Sourced
from osteodx.bone._treatment import (
    CriterionResult,
    OptionResult,
    TreatmentContext,
    TreatmentOptions,
    context_fields,
)
from osteodx.report._tables import FoldingTable

__all__ = [
    "context_help",
    "derived_label",
    "field_label",
    "needs_text",
    "render_score",
    "render_treatments",
    "requirement_line",
    "score_help",
    "scores_markdown",
    "worked_examples_markdown",
]

_DIRECTION = {"higher_worse": "higher = worse", "higher_better": "higher = better"}
_STATUS = {
    "eligible": ("eligible", "green"),
    "not_eligible": ("not eligible", "red"),
    "unknown": ("unknown", "yellow"),
}


def _flags(s: Sourced | CriterionResult) -> str:
    flags = [f for f, on in (("estimate", s.estimate), ("unverified", s.unverified)) if on]
    return f" ({', '.join(flags)})" if flags else ""


def _points(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"


def _value_text(value: object) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- terminal ----------------------------------------------------------------------------------


def _say(console: Console, text: str | Text) -> None:
    """Print plain text: never parsed as Rich markup (sources contain brackets and URLs)."""
    console.print(text if isinstance(text, Text) else Text(text), soft_wrap=True)


def render_score(result: ScoreResult, console: Console) -> None:
    """Print a score result: items and points, total, category with outcome figures, source."""
    decl = next(d for d in list_scores() if d.id == result.score)
    _say(console, Text(result.name, style="bold") + Text(f" ({_DIRECTION[result.direction]})"))
    table = FoldingTable(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("item")
    table.add_column("value")
    table.add_column("points", justify="right")
    for it in result.items:
        if it.value is None:
            table.add_row(it.name, Text("missing", style="yellow"), "-")
        else:
            shown = str(it.value)
            if it.value_label and shown != it.value_label:
                shown = f"{shown} ({it.value_label})"
            table.add_row(it.name, Text(shown), str(it.points))
    console.print(table)
    if result.status == "cannot_compute":
        low, high = result.total_range
        cats = ", ".join(c.label for c in result.possible_categories)
        _say(
            console,
            Text(
                # Here the reader types the items, so each label carries its key.
                "cannot compute: needs "
                + ", ".join(
                    f"{needs_text(result.score, [m])} (enter {m}=...)" for m in result.missing
                ),
                style="bold yellow",
            ),
        )
        _say(console, f"total would be {low}-{high}; category could be: {cats}")
        if len(result.possible_categories) == 1:
            _say(console, "(the category is the same whatever the missing items are)")
    else:
        assert result.category is not None
        cat = result.category
        _say(
            console,
            Text(f"total {result.total}", style="bold")
            + Text(f" (range {decl.total_min}-{decl.total_max})"),
        )
        _say(console, Text(f"category {cat.label}: ", style="bold") + Text(cat.interpretation))
        for reading in cat.readings:
            _say(console, f"  reading '{reading.name}': {reading.text} [{reading.source}]")
        for outcome in cat.outcomes:
            _say(console, f"  - {outcome.text} [{outcome.source}]{_flags(outcome)}")
    for convention in result.conventions:
        _say(console, f"convention: {convention}")
    _say(console, f"source: {result.citation} [{result.source}]")


def field_label(field: str) -> str:
    """A treatment-context field as a reader names it ("Ki-67 index in %"), not its key."""
    info = TreatmentContext.model_fields.get(field)
    text = (info.description or "") if info is not None else ""
    return text.split(";")[0].split(" (")[0].rstrip(".") or field.replace("_", " ")


def needs_text(score: str | None, fields: tuple[str, ...] | list[str]) -> str:
    """What is missing, as a reader names it: a score's item labels, or treatment-context field
    descriptions when ``score`` is None."""
    if score is None:
        return ", ".join(field_label(f) for f in fields)
    return ", ".join(derived_label(f"{score}.{f}").split(": ", 1)[-1] for f in fields)


def derived_label(target: str) -> str:
    """A filled-in value's target as a reader names it: "Tomita score: Growth of the primary
    tumour" for ``tomita.primary``, the field's description for ``context.grade``."""
    owner, _, item = target.partition(".")
    if owner == "context":
        return field_label(item)
    for score in list_scores():
        if score.id == owner:
            label = next((i.label for i in score.items if i.name == item), item.replace("_", " "))
            return f"{score.name}: {label}"
    return target.replace("_", " ")


def requirement_line(r: CriterionResult) -> str:
    """A failed requirement as what is required and what was recorded: "requires Ki-67 < 10 %
    (recorded: Ki-67 index in % 10)", never the rule text beside a bare value."""
    return f"requires {r.text} (recorded: {field_label(r.field)} {_value_text(r.value)})"


def _criterion_line(r: CriterionResult) -> str:
    shown = _value_text(r.value)
    if r.status == "not_met":
        return f"{requirement_line(r)} [{r.source}]{_flags(r)}"
    if r.status == "caution":
        return f"{r.caution} ({field_label(r.field)}: {shown}) [{r.source}]{_flags(r)}"
    if r.status == "check":
        return f"check {field_label(r.field)}: {r.caution} [{r.source}]{_flags(r)}"
    if r.status == "unknown":
        return f"{r.text}: {r.field} is {shown} [{r.source}]{_flags(r)}"
    return f"{r.text} [{r.source}]"


def _render_option(opt: OptionResult, console: Console) -> None:
    label, colour = _STATUS[opt.status]
    _say(
        console,
        Text(opt.name, style="bold") + Text(f"  ({opt.kind})  ") + Text(label, style=colour),
    )
    _say(console, f"  {opt.summary}")
    if opt.status == "unknown":
        _say(console, Text(f"  unknown: needs {needs_text(None, opt.needs)}", style=colour))
    for ind in opt.indications:
        ind_label, ind_colour = _STATUS[ind.status]
        line = Text(f"  · {ind.name}: ") + Text(ind_label, style=ind_colour)
        if ind.status == "unknown":
            line += Text(f" (needs {needs_text(None, ind.needs)})")
        _say(console, line)
        for r in ind.because:
            _say(console, f"      not eligible: {_criterion_line(r)}")
    for r in opt.cautions:
        _say(console, f"  caution: {_criterion_line(r)}")
    for r in opt.checks:
        _say(console, f"  {_criterion_line(r)}")
    for note in opt.notes:
        _say(console, f"  note: {note.text} [{note.source}]{_flags(note)}")
    for trial in opt.key_trials:
        _say(console, f"  trial {trial.name}: {trial.result} [{trial.source}]{_flags(trial)}")
    for ev in opt.evidence:
        _say(console, f"  evidence: {ev.text} [{ev.source}]{_flags(ev)}")
    for g in opt.guideline:
        _say(console, f"  guideline: {g.text} [{g.source}]{_flags(g)}")


def render_treatments(options: TreatmentOptions, console: Console) -> None:
    """Print the options with their eligibility, reasons, evidence and sources."""
    _say(console, Text("Treatment options to discuss (not a prescription)", style="bold"))
    _say(console, options.disclaimer)
    for opt in options.options:
        console.print()
        _render_option(opt, console)


# --- CLI help ----------------------------------------------------------------------------------


def _item_values(item: Item) -> str:
    if item.kind == "choice":
        return ", ".join(f"{c.value} ({c.points})" for c in item.choices)
    bands = "; ".join(f"{b.label}: {b.points}" for b in item.bands)
    return f"{accepted_values(item)[0]} — {bands}"


def score_help(decl: ScoreDeclaration) -> str:
    """The ``osteodx score NAME --help`` text: every item with its accepted values and points."""
    parts = [
        f"{decl.name}: {decl.purpose} Total {decl.total_min}-{decl.total_max}, "
        f"{_DIRECTION[decl.direction]}.",
        "Give each item as ITEM=VALUE (value (points)); a missing item gives 'cannot compute' "
        "with the totals and categories still possible.",
    ]
    for item in decl.items:
        parts.append(f"{item.name} — {item.label}: {_item_values(item)}. {item.help}")
    cats = "; ".join(
        f"{c.min if c.min == c.max else f'{c.min}-{c.max}'}: {c.label}" for c in decl.categories
    )
    parts.append(f"Categories: {cats}. Source: {decl.citation} [{decl.source}].")
    return "\n\n".join(parts)


def context_help() -> str:
    """The ``osteodx treatments --help`` text: every context field and its accepted values."""
    parts = [
        "Options to discuss for a NEN with bone metastases, with eligibility (eligible / not "
        "eligible because ... / unknown: needs X), key trial and guideline source. Never a "
        "prescription. Give what is known as FIELD=VALUE; anything not given is 'not recorded'.",
    ]
    for f in context_fields():
        parts.append(f"{f.name} — {f.description} Accepted: {' | '.join(f.accepted)}.")
    return "\n\n".join(parts)


# --- Markdown ----------------------------------------------------------------------------------


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _src(s: Sourced) -> str:
    return f"{s.source}{_flags(s)}"


_COMPARISON = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _lab_rule_markdown(rule: LabDerivation) -> str:
    """The cut-offs by which a case's measured labs decide an item, worst level first."""
    levels = "; ".join(
        f"`{level.value}` if any of "
        + ", ".join(
            f"`{c.lab} {_COMPARISON[c.comparison]} {c.threshold:g} {c.unit}`" for c in level.any_of
        )
        for level in rule.levels
    )
    sources = ", ".join(dict.fromkeys(_src(c) for lv in rule.levels for c in lv.any_of))
    return (
        "From a case's measured labs (`derive_from_labs`, canonical units of labs.yaml): "
        f"{_md(levels)}; `{rule.otherwise}` when all of {', '.join(rule.labs)} are measured "
        f"and no cut-off is met; otherwise the item is left open. Source: {sources}."
    )


def _score_markdown(decl: ScoreDeclaration) -> list[str]:
    out = [
        f"## {decl.name} (`osteodx score {decl.id}`)",
        "",
        _md(decl.purpose),
        "",
        f"- Total {decl.total_min}-{decl.total_max}, {_DIRECTION[decl.direction]}.",
        f"- Source: {_md(decl.citation)}; {decl.source}"
        + (f" (via {_md(decl.via)})" if decl.via else ""),
    ]
    if decl.derivation is not None:
        out.append(f"- Derivation: {_md(decl.derivation.text)} ({_src(decl.derivation)})")
    out += [
        "",
        "### Items",
        "",
        "| item | value (type this) | meaning | points |",
        "|---|---|---|---|",
    ]
    for item in decl.items:
        if item.kind == "choice":
            for i, c in enumerate(item.choices):
                name = f"`{item.name}`" if i == 0 else ""
                aliases = f" (also: {', '.join(c.aliases)})" if c.aliases else ""
                out.append(f"| {name} | `{c.value}`{aliases} | {_md(c.label)} | {c.points} |")
        else:
            assert item.number is not None
            for i, b in enumerate(item.bands):
                name = f"`{item.name}`" if i == 0 else ""
                rng = f"{b.min}-{b.max}" if b.max is not None else f">= {b.min}"
                if b.max == b.min:
                    rng = str(b.min)
                out.append(f"| {name} | {rng} | {_md(b.label)} | {b.points} |")
    out.append("")
    for item in decl.items:
        accepted = " \\| ".join(accepted_values(item))
        out.append(
            f"- `{item.name}` ({_md(item.label)}; accepts {accepted}): {_md(item.help)} "
            f"Source: {_src(item)}" + (f" (via {_md(item.via)})" if item.via else "") + "."
        )
        if item.derive_from_labs is not None:
            out.append(f"  {_lab_rule_markdown(item.derive_from_labs)}")
    out += [
        "",
        "### Categories",
        "",
        "| total | category | interpretation | outcome figures |",
        "|---|---|---|---|",
    ]
    for cat in decl.categories:
        rng = f"{cat.min}-{cat.max}" if cat.max != cat.min else str(cat.min)
        figures = "; ".join(f"{_md(o.text)} ({_src(o)})" for o in cat.outcomes) or "-"
        readings = "".join(
            f" Reading '{r.name}': {_md(r.text)} ({r.source})." for r in cat.readings
        )
        out.append(
            f"| {rng} | {_md(cat.label)} | {_md(cat.interpretation)}{readings} | {figures} |"
        )
    if decl.validation:
        out += ["", "### Validation", ""]
        out += [f"- {_md(n.text)} ({_src(n)})" for n in decl.validation]
    if decl.conventions:
        out += ["", "### Conventions and notes", ""]
        out += [f"- {_md(n.text)} ({_src(n)})" for n in decl.conventions]
    if decl.examples:
        out += [
            "",
            "### Worked examples (from the project reference)",
            "",
            "| # | inputs | total | category | note |",
            "|---|---|---|---|---|",
        ]
        labels = {c.id: c.label for c in decl.categories}
        for ex in decl.examples:
            inputs = " ".join(f"{k}={v}" for k, v in ex.values.items())
            category = _md(labels[ex.category])
            out.append(f"| {ex.id} | `{inputs}` | {ex.total} | {category} | {_md(ex.note)} |")
    out.append("")
    return out


def _nen_markdown() -> list[str]:
    data = nen_conventions()
    out = [
        "## NEN conventions",
        "",
        "No score has been validated in a cohort of neuroendocrine neoplasms only, and only the "
        "revised Tokuhashi score names carcinoid. `osteodx.bone.nen_score_values(family, grade, "
        "site)` applies these conventions (first matching rule wins) and returns each value with "
        "its wording, so that output using them can be labelled.",
        "",
        "| score | item | family | grade | sites | value | convention |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in data.rules:
        when = f" (switch `{r.when}`)" if r.when else ""
        also = (
            f"; also shown read as `{r.alternative.value}`, {_md(r.alternative.text)}"
            if r.alternative
            else ""
        )
        out.append(
            f"| {r.score} | `{r.item}` | {r.family} | {', '.join(r.grades) or 'any'} | "
            f"{', '.join(r.sites) or 'any'} | `{r.value}` | {_md(r.text)}{when}{also} |"
        )
    out += [""]
    for name, text in data.switches.items():
        out.append(f"- Switch `{name}`: {_md(text)}")
    out.append("")
    return out


def scores_markdown() -> str:
    """The whole of docs/scores.md, generated from the declarations (a test keeps it current)."""
    names = ", ".join(f"`{d.id}`" for d in list_scores())
    out = [
        "# Bone-metastasis scores",
        "",
        "<!-- Generated from src/osteodx/bone/scores/*.yaml by osteodx.bone.scores_markdown(); "
        "do not edit by hand. tests/bone/test_docs.py fails when this page is out of date "
        "(OSTEODX_REGEN_DOCS=1 rewrites it). -->",
        "",
        "Each score is declared once as data (`src/osteodx/bone/scores/<name>.yaml`: items, "
        "accepted values, points, help, categories with the outcome figures of the validation "
        "papers, sources) and evaluated by one engine, `osteodx.bone.compute_score(name, values)`. "
        "The command line (`osteodx score NAME ITEM=VALUE ... [--json]`, `osteodx score NAME "
        "--help`), the request model of the API (`osteodx.bone.score_request_model(name)`) and "
        f"this page are generated from the same declarations. Scores: {names}.",
        "",
        "A missing item is never given a default: the result is *cannot compute: needs X*, with "
        "the range of totals and the categories still possible over the missing items. Values "
        "are matched case-insensitively; aliases are listed in the tables. Figures marked "
        "*unverified* are quoted widely but were not checked against the primary paper; figures "
        "marked *estimate* are this toolkit's conventions.",
        "",
        "Decision support for clinicians and researchers, not a medical device: survival and "
        "fracture figures are cohort statistics attached to a category, never a prediction for "
        "one patient.",
        "",
        "Example:",
        "",
        "```",
        "osteodx score mirels site=lower_limb pain=moderate lesion=mixed size=1_3_to_2_3",
        "osteodx score sins location=junctional pain=mechanical bone_lesion=lytic \\",
        "    alignment=deformity collapse=lt_50 posterolateral=unilateral --json",
        "```",
        "",
    ]
    for decl in list_scores():
        out += _score_markdown(decl)
    out += _nen_markdown()
    sites = ", ".join(f"`{s.id}`" for s in treatment_data().sites)
    out += [
        "## Treatment options",
        "",
        "`osteodx.bone.treatment_options(TreatmentContext(...))` (CLI: `osteodx treatments "
        "FIELD=VALUE ... [--json]`) lists the options to discuss for a NEN with bone metastases "
        "with eligible / not eligible because ... / unknown: needs X, the key trial and the "
        "guideline source; the rules are in `src/osteodx/bone/data/treatments.yaml`. It never "
        f"prescribes. Primary-site ids: {sites}.",
        "",
    ]
    return "\n".join(out)


def worked_examples_markdown() -> str:
    """The README table: every worked example of the reference, expected vs computed."""
    rows = worked_examples()
    out = [
        "| score | example | inputs | expected total | computed total | expected category "
        "| computed category | equal |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        inputs = " ".join(f"{k}={v}" for k, v in r.values.items())
        out.append(
            f"| {r.score} | {r.example} | `{inputs}` | {r.expected_total} | {r.computed_total} | "
            f"{r.expected_category} | {r.computed_category} | {'yes' if r.equal else 'NO'} |"
        )
    equal = sum(r.equal for r in rows)
    out += ["", f"{equal} of {len(rows)} worked examples equal."]
    return "\n".join(out)
