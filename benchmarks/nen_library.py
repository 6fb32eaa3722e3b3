"""Site-of-origin and WHO-grade agreement on the published NEN case library.

Usage: python benchmarks/nen_library.py [--cases PATH/cases.jsonl] [--out DIR]

1. Site of origin: published patients with a known primary and at least two site-specific
   markers, as the library README defines them (TTF-1, CDX2, PAX8, ISL1, SATB2, PDX1, OTP,
   serotonin, GATA3; names matched through osteodx's synonym table, so 'TTF-1', 'NKX2-1' and
   'ttf1' are one marker). The whole IHC panel goes to ``osteodx.nen.site_posterior`` (markers
   osteodx does not know are listed, never guessed), with carcinoid syndrome and sex when
   reported; NEC/MiNEN histology selects the NEC prior. Imaging is not passed: in these reports
   imaging usually found the primary, so it would hand the answer to the model. The published
   primary is mapped to a site id through the grading vocabulary ('ileum' -> small_intestine,
   'other:<organ>' -> other). Top-1 and top-2 accuracy, and per patient the markers scored, the
   top three sites and the rank and probability of the published one. Two supplements: >= 1
   site-specific marker, and >= 2 markers that the model scores (adds CK7 and the progesterone
   receptor, which the reference gives per-site counts for).
2. Grade: patients with a single Ki-67 value or a mitotic count per 2 mm² and a reported grade
   (or a reported typical/atypical carcinoid). The computed WHO category/grade is compared with
   the reported one and each disagreement is explained. A supplement uses Ki-67 values that the
   library keeps only as ranges or inequalities in ``notes`` (transcribed below with quotes).

Nothing here is fitted to these patients: the model's frequencies and priors come from the
reference tables (nen/data/*.yaml). Results are printed and written to
benchmarks/results/nen-<date>.md; text after the line ``<!-- notes: kept when re-run -->`` in
an existing file of the same date is kept.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from osteodx.nen import NenInputError, NenPathology, canonical_marker, classify, site_posterior
from osteodx.nen._load import name_key
from osteodx.nen._vocab import canonical_site, site_entry

HERE = Path(__file__).parent
DEFAULT_CASES = HERE.parent.parent / "shared" / "data" / "nen-case-library" / "cases.jsonl"
# The library README's list of site markers (section "IHC and primary site").
LIBRARY_SITE_MARKERS = (
    "TTF-1",
    "CDX2",
    "PAX8",
    "ISL1",
    "SATB2",
    "PDX1",
    "OTP",
    "serotonin",
    "GATA3",
)
MODEL_SITES = (
    "small_intestine", "appendix", "colon", "rectum", "stomach",
    "duodenum", "pancreas", "lung", "thymus",
)  # fmt: skip
NOTES_MARK = "<!-- notes: kept when re-run -->"

# Ki-67 values the library stores only in `notes` (ranges or inequalities), quoted verbatim.
NOTE_KI67: dict[str, tuple[float, float, str]] = {
    "nen-047": (0.0, 1.99, "Ki-67 reported as <2%"),
    "nen-051": (0.0, 0.99, "Ki-67 <1%"),
    "nen-067": (0.0, 1.99, "Ki-67 <2%"),
    "nen-062": (10.0, 14.0, "Ki-67 10-14% (range)"),
}


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def marker_key(name: str) -> str:
    """One key per marker: osteodx's id when it knows the name, else the normalised name.

    Both PAX8 entries (any clone) count as PAX8 for the selection.
    """
    key = canonical_marker(name) or name_key(name)
    return "pax8" if key == "pax8_monoclonal" else key


SITE_SPECIFIC = frozenset(marker_key(m) for m in LIBRARY_SITE_MARKERS)


def truth_site(primary: str) -> str | None:
    """The model's site id for a published primary; None when it cannot be scored."""
    if primary == "unknown" or primary == "other:midgut_not_further_specified":
        return None  # 'midgut' spans small intestine, appendix and right colon
    try:
        return site_entry(canonical_site(primary)).origin
    except NenInputError:
        return None


def differentiation(histology: str) -> Literal["well", "poor"] | None:
    h = histology.lower()
    if h.startswith(("nec", "minen")):
        return "poor"
    if h.startswith(("net", "carcinoid")):
        return "well"
    return None


def site_markers_of(case: dict[str, Any]) -> list[str]:
    """The library's site-specific markers reported for a case (synonyms merged)."""
    return sorted({marker_key(m) for m in case["ihc"]} & SITE_SPECIFIC)


def panel(case: dict[str, Any]) -> tuple[dict[str, str], list[str], list[str]]:
    """The IHC panel as osteodx reads it: (markers passed, names not recognised, conflicts).

    Two names of one marker with different results (e.g. two cytokeratin antibodies) are left
    out and listed as conflicts rather than guessed.
    """
    by_id: dict[str, list[tuple[str, str]]] = {}
    unknown: list[str] = []
    for name, result in case["ihc"].items():
        marker = canonical_marker(name)
        if marker is None:
            unknown.append(name)
        else:
            by_id.setdefault(marker, []).append((name, result))
    used: dict[str, str] = {}
    conflicts: list[str] = []
    for entries in by_id.values():
        if len({r for _, r in entries}) > 1:
            conflicts += [f"{n} {r}" for n, r in entries]
        else:
            used[entries[0][0]] = entries[0][1]
    return used, sorted(unknown), conflicts


@dataclass
class SiteRow:
    case_id: str
    published: str
    truth: str
    histology: str
    prior: str
    scored: list[str]
    recorded: list[str]
    unrecognised: list[str]
    clues: list[str]
    top: list[tuple[str, float]]
    truth_rank: int
    truth_probability: float
    library_markers: int
    attributed_with_ihc: bool
    miss_detail: list[str] = field(default_factory=list)

    @property
    def hit1(self) -> bool:
        return self.truth_rank == 1

    @property
    def hit2(self) -> bool:
        return self.truth_rank <= 2


def _miss_detail(post: Any, truth: str) -> list[str]:
    """Why the published site lost: prior and each marker's log10 LR, true site vs the winner."""
    best = post.sites[0]
    true = next(s for s in post.sites if s.site == truth)
    lines = [
        f"prior {true.prior:.0%} ({truth}) vs {best.prior:.0%} ({best.site}); "
        f"summed log10 LR {true.log10_lr_total:+.2f} vs {best.log10_lr_total:+.2f}"
    ]
    for c_true, c_best in zip(true.contributions, best.contributions, strict=True):
        studies = (
            "no count for this site: imputed"
            if c_true.imputed
            else ", ".join(f"{s.study} {s.k}/{s.n}" for s in c_true.studies)
        )
        lines.append(
            f"{c_true.evidence} {c_true.result}: P(result | {truth}) {c_true.p_result:.2f}"
            f" [{studies}] vs P(result | {best.site}) {c_best.p_result:.2f};"
            f" log10 LR {c_true.log10_lr:+.2f} vs {c_best.log10_lr:+.2f}"
        )
    return lines


def site_rows(cases: Iterable[dict[str, Any]]) -> list[SiteRow]:
    """Every patient with a known, scorable primary and at least one IHC result."""
    rows = []
    for c in cases:
        truth = truth_site(c["primary_site"])
        if not c["primary_found"] or truth is None or not c["ihc"]:
            continue
        used, unknown, conflicts = panel(c)
        clues: dict[str, str] = {}
        if c["carcinoid_syndrome"] is not None:
            clues["carcinoid_syndrome"] = "yes" if c["carcinoid_syndrome"] else "no"
        if c["sex"]:
            clues["sex"] = c["sex"]
        diff = differentiation(c["histology"])
        post = site_posterior(used, clues, differentiation=diff)
        ranked = [s.site for s in post.sites]
        rank = ranked.index(truth) + 1
        by_name = {e.name: e for e in post.evidence if e.kind == "marker"}
        scored = [f"{n} {r}" for n, r in used.items() if by_name[n].used == "scored"]
        recorded = [f"{n} {r}" for n, r in used.items() if by_name[n].used != "scored"]
        rows.append(
            SiteRow(
                case_id=c["case_id"],
                published=c["primary_site"],
                truth=truth,
                histology=c["histology"],
                prior=post.prior_name,
                scored=scored,
                recorded=recorded + [f"{x} (conflicting names, left out)" for x in conflicts],
                unrecognised=unknown,
                clues=[f"{k}={v}" for k, v in clues.items()],
                top=[(s.site, s.probability) for s in post.sites[:3]],
                truth_rank=rank,
                truth_probability=post.probability(truth),
                library_markers=len(site_markers_of(c)),
                attributed_with_ihc="ihc" in (c["primary_found_by"] or "").lower(),
                miss_detail=[] if rank <= 2 else _miss_detail(post, truth),
            )
        )
    return rows


def site_table(rows: list[SiteRow]) -> list[str]:
    lines = [
        "| case | published primary -> site | histology (prior) | markers scored "
        "| recorded, not scored | not recognised | top 3 (posterior) | published site: rank, "
        "probability | top-1 | top-2 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        top = "; ".join(f"{s} {p:.0%}" for s, p in r.top)
        flag = " (primary attributed partly by IHC)" if r.attributed_with_ihc else ""
        lines.append(
            f"| {r.case_id} | {r.published} -> {r.truth}{flag} | {r.histology} ({r.prior}) | "
            f"{', '.join(r.scored) or '-'} | {', '.join(r.recorded) or '-'} | "
            f"{', '.join(r.unrecognised) or '-'} | {top} | {r.truth_rank}, "
            f"{r.truth_probability:.0%} | {'yes' if r.hit1 else 'no'} | "
            f"{'yes' if r.hit2 else 'no'} |"
        )
    return lines


def miss_lines(rows: list[SiteRow]) -> list[str]:
    out: list[str] = []
    for r in rows:
        if r.hit2:
            continue
        out.append(f"* **{r.case_id}** ({r.published}; top: {r.top[0][0]}):")
        out += [f"  * {x}" for x in r.miss_detail]
    return out or ["No misses."]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % by default)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy(rows: list[SiteRow]) -> tuple[str, str]:
    if not rows:
        return "n/a", "n/a"
    n = len(rows)
    out = []
    for k in (sum(r.hit1 for r in rows), sum(r.hit2 for r in rows)):
        lo, hi = wilson(k, n)
        out.append(f"{k}/{n} ({k / n:.0%}; 95% CI {lo:.0%}-{hi:.0%})")
    return out[0], out[1]


# --- grade -----------------------------------------------------------------------------------


def reported_grade(case: dict[str, Any]) -> str | None:
    if case["histology"].startswith("carcinoid-atypical"):
        return "atypical carcinoid"
    return case["grade"]


def computed_matches(reported: str, category: str, grade: str | None) -> bool:
    if reported == "atypical carcinoid":
        return category == "atypical carcinoid"
    return grade == reported


def explain(case: dict[str, Any], result: Any, reported: str) -> str:
    if result.system == "thoracic" and result.grade is None and reported == "atypical carcinoid":
        return (
            "lung/thymus: the source called it atypical carcinoid on criteria not in the text "
            "read (mitoses/necrosis not captured); Ki-67 alone cannot separate typical from "
            "atypical carcinoid under WHO 2021"
        )
    if result.system == "thoracic" and result.grade is None:
        return (
            "lung/thymus: WHO 2021 classifies carcinoids by mitoses and necrosis, not Ki-67, and "
            "no mitotic count was reported; the source's grade applies GEP-style Ki-67 "
            "thresholds (WHO 2022 'NET G2' is a synonym of atypical carcinoid only by the "
            "thoracic criteria)"
        )
    if result.grade is None:
        return f"computed '{result.category}' has no G grade ({result.rule_id})"
    return (
        "counting or classification difference: the source may have graded another sample "
        "(primary vs metastasis), counted differently, or used WHO 2010 bands (G1 <= 2 %)"
    )


@dataclass
class GradeRow:
    case_id: str
    site: str
    values: str
    reported: str
    computed: str
    rule: str
    agree: str
    explanation: str


def _pathology(c: dict[str, Any], ki67: float | None) -> NenPathology:
    return NenPathology(
        site=canonical_site(c["primary_site"]),
        differentiation=differentiation(c["histology"]),
        ki67_percent=ki67,
        mitoses_per_2mm2=c["mitoses_per_2mm2"],
    )


def grade_rows(cases: Iterable[dict[str, Any]]) -> list[GradeRow]:
    rows = []
    for c in cases:
        reported = reported_grade(c)
        if reported is None or (c["ki67_percent"] is None and c["mitoses_per_2mm2"] is None):
            continue
        result = classify(_pathology(c, c["ki67_percent"]))
        agree = computed_matches(reported, result.category, result.grade)
        values = ", ".join(
            x
            for x in (
                f"Ki-67 {c['ki67_percent']:g} %" if c["ki67_percent"] is not None else "",
                f"mitoses {c['mitoses_per_2mm2']:g}/2 mm²"
                if c["mitoses_per_2mm2"] is not None
                else "",
            )
            if x
        )
        conv = " (GEP thresholds by convention)" if result.convention else ""
        rows.append(
            GradeRow(
                case_id=c["case_id"],
                site=c["primary_site"],
                values=values,
                reported=reported,
                computed=f"{result.category}{conv}",
                rule=result.rule_id,
                agree="yes" if agree else "no",
                explanation="-" if agree else explain(c, result, reported),
            )
        )
    return rows


def note_rows(cases: Iterable[dict[str, Any]]) -> list[GradeRow]:
    rows = []
    by_id = {c["case_id"]: c for c in cases}
    for case_id, (lo, hi, quote) in NOTE_KI67.items():
        c = by_id.get(case_id)
        if c is None:
            continue
        reported = reported_grade(c)
        if reported is None:
            continue
        ends = [classify(_pathology(c, v)) for v in (lo, hi)]
        cats = {r.category for r in ends}
        agree_ends = [computed_matches(reported, r.category, r.grade) for r in ends]
        if all(agree_ends):
            agree, why = "yes", "-"
        elif any(agree_ends):
            agree, why = "indeterminate", "the range spans a cut-off"
        else:
            agree, why = "no", explain(c, ends[0], reported)
        rows.append(
            GradeRow(
                case_id=case_id,
                site=c["primary_site"],
                values=f'"{quote}"',
                reported=reported,
                computed=" / ".join(sorted(cats)),
                rule=ends[0].rule_id,
                agree=agree,
                explanation=why,
            )
        )
    return rows


def grade_table(rows: list[GradeRow]) -> list[str]:
    lines = [
        "| case | primary | values | reported | computed | rule | agree | explanation |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.case_id} | {r.site} | {r.values} | {r.reported} | {r.computed} | {r.rule} | "
            f"{r.agree} | {r.explanation} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    cases = load(args.cases)

    rows = site_rows(cases)
    main_rows = [r for r in rows if r.library_markers >= 2]
    supp_rows = [r for r in rows if r.library_markers >= 1]
    scored_rows = [r for r in rows if len(r.scored) >= 2]
    modelled = [r for r in main_rows if r.truth in MODEL_SITES]
    grades = grade_rows(cases)
    notes = note_rows(cases)
    agree = sum(r.agree == "yes" for r in grades)
    note_agree = sum(r.agree == "yes" for r in notes)

    top1, top2 = accuracy(main_rows)
    s_top1, s_top2 = accuracy(supp_rows)
    m_top1, m_top2 = accuracy(modelled)
    x_top1, x_top2 = accuracy(scored_rows)
    today = date.today().isoformat()
    out = [
        f"# NEN case library benchmark, {today}",
        "",
        "Command: `python benchmarks/nen_library.py` "
        f"(cases: `{args.cases.name}`, {len(cases)} published patients)",
        "",
        "Decision support, not a medical device. No parameter was fitted to these patients.",
        "",
        "## Summary",
        "",
        "| measure | value |",
        "|---|---|",
        f"| site of origin, known primary with >= 2 site-specific markers: top-1 | {top1} |",
        f"| same set: top-2 (target >= 85 %) | {top2} |",
        "| same set, published primary one of the nine named sites (not 'other'): "
        f"top-1 / top-2 | {m_top1} / {m_top2} |",
        "| supplement, known primary with >= 1 site-specific marker: top-1 / top-2 "
        f"| {s_top1} / {s_top2} |",
        "| supplement, known primary with >= 2 markers the model scores: top-1 / top-2 "
        f"| {x_top1} / {x_top2} |",
        "| grade, single Ki-67 or mitotic count and a reported grade: agreement "
        f"| {agree}/{len(grades)} |",
        "| supplement, Ki-67 only as a range or inequality in `notes` "
        f"| {note_agree}/{len(notes)} agree |",
        "",
        f"Site-specific markers (library README): {', '.join(LIBRARY_SITE_MARKERS)}; "
        "'primary attributed partly by IHC' marks patients whose `primary_found_by` names IHC "
        "(the benchmark then partly tests the markers against themselves).",
        "",
        "## Site of origin (>= 2 site-specific markers)",
        "",
        *site_table(main_rows),
        "",
        "### Misses (published site not in the top 2): the true site against the winner",
        "",
        *miss_lines(main_rows),
        "",
        "## Site of origin, supplement (>= 1 site-specific marker)",
        "",
        *site_table(supp_rows),
        "",
        "## Site of origin, supplement (>= 2 markers the model scores)",
        "",
        *site_table(scored_rows),
        "",
        "## Grade",
        "",
        *grade_table(grades),
        "",
        "### Supplement: Ki-67 kept as ranges or inequalities",
        "",
        *grade_table(notes),
        "",
    ]
    text = "\n".join(out)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"nen-{today}.md"
    if path.exists() and NOTES_MARK in (old := path.read_text(encoding="utf-8")):
        text += "\n" + old[old.index(NOTES_MARK) :]
    path.write_text(text, encoding="utf-8")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
