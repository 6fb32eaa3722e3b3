"""Site-of-origin and WHO-grade agreement on the published NEN case library.

Usage: python benchmarks/nen_library.py [--cases PATH/cases.jsonl] [--out DIR]

1. Site of origin: published patients with a known primary and at least two site-specific
   markers (the README's list: TTF-1, CDX2, PAX8, ISL1, SATB2, PDX1, OTP, serotonin, GATA3).
   The IHC panel (every marker osteodx recognises), carcinoid syndrome and sex go to
   ``osteodx.nen.site_posterior``; NEC/MiNEN histology selects the NEC prior. Top-1 and top-2
   accuracy against the published primary ('other:*' primaries are the site 'other').
   The ">= 1 marker" set is reported separately as a supplement.
2. Grade: patients with a single Ki-67 value or a mitotic count per 2 mm² and a reported grade
   (or a reported typical/atypical carcinoid). The computed WHO category/grade is compared with
   the reported one and each disagreement is explained. A supplement uses Ki-67 values that the
   library keeps only as ranges or inequalities in ``notes`` (transcribed below with quotes).

Nothing here is fitted to these patients: the model's frequencies and priors come from the
reference tables (nen/data/*.yaml). Results are printed and written to
benchmarks/results/nen-<date>.md.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from osteodx.nen import NenPathology, canonical_marker, classify, site_posterior
from osteodx.nen._vocab import canonical_site

HERE = Path(__file__).parent
DEFAULT_CASES = HERE.parent.parent / "shared" / "data" / "nen-case-library" / "cases.jsonl"
SITE_SPECIFIC = ("ttf1", "cdx2", "pax8", "isl1", "satb2", "pdx1", "otp", "serotonin", "gata3")
MODEL_SITES = (
    "small_intestine", "appendix", "colon", "rectum", "stomach",
    "duodenum", "pancreas", "lung", "thymus",
)  # fmt: skip

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


def truth_site(primary: str) -> str | None:
    if primary == "unknown" or primary == "other:midgut_not_further_specified":
        return None
    if primary.startswith("other:"):
        return "other"
    return primary


def differentiation(histology: str) -> Literal["well", "poor"] | None:
    h = histology.lower()
    if h.startswith(("nec", "minen")):
        return "poor"
    if h.startswith(("net", "carcinoid")):
        return "well"
    return None


def site_markers_of(case: dict[str, Any]) -> list[str]:
    return [m for m in case["ihc"] if m in SITE_SPECIFIC]


@dataclass
class SiteRow:
    case_id: str
    truth: str
    histology: str
    markers: str
    unused: str
    top: list[tuple[str, float]]

    @property
    def hit1(self) -> bool:
        return self.top[0][0] == self.truth

    @property
    def hit2(self) -> bool:
        return self.truth in (self.top[0][0], self.top[1][0])


def site_rows(cases: Iterable[dict[str, Any]], min_markers: int) -> list[SiteRow]:
    rows = []
    for c in cases:
        truth = truth_site(c["primary_site"])
        if not c["primary_found"] or truth is None or len(site_markers_of(c)) < min_markers:
            continue
        used = {k: v for k, v in c["ihc"].items() if canonical_marker(k) is not None}
        unused = sorted(k for k in c["ihc"] if canonical_marker(k) is None)
        clues: dict[str, str] = {}
        if c["carcinoid_syndrome"] is not None:
            clues["carcinoid_syndrome"] = "yes" if c["carcinoid_syndrome"] else "no"
        if c["sex"]:
            clues["sex"] = c["sex"]
        post = site_posterior(used, clues, differentiation=differentiation(c["histology"]))
        rows.append(
            SiteRow(
                case_id=c["case_id"],
                truth=truth,
                histology=c["histology"],
                markers=", ".join(f"{k} {v}" for k, v in used.items()),
                unused=", ".join(unused) or "-",
                top=[(s.site, s.probability) for s in post.sites[:3]],
            )
        )
    return rows


def site_table(rows: list[SiteRow]) -> list[str]:
    lines = [
        "| case | published primary | histology | markers used | not recognised "
        "| top 3 (posterior) | top-1 | top-2 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        top = "; ".join(f"{s} {p:.0%}" for s, p in r.top)
        lines.append(
            f"| {r.case_id} | {r.truth} | {r.histology} | {r.markers} | {r.unused} | {top} | "
            f"{'yes' if r.hit1 else 'no'} | {'yes' if r.hit2 else 'no'} |"
        )
    return lines


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

    main_rows = site_rows(cases, 2)
    supp_rows = site_rows(cases, 1)
    modelled = [r for r in main_rows if r.truth in MODEL_SITES]
    grades = grade_rows(cases)
    notes = note_rows(cases)
    agree = sum(r.agree == "yes" for r in grades)
    note_agree = sum(r.agree == "yes" for r in notes)

    top1, top2 = accuracy(main_rows)
    s_top1, s_top2 = accuracy(supp_rows)
    m_top1, m_top2 = accuracy(modelled)
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
        "| grade, single Ki-67 or mitotic count and a reported grade: agreement "
        f"| {agree}/{len(grades)} |",
        "| supplement, Ki-67 only as a range or inequality in `notes` "
        f"| {note_agree}/{len(notes)} agree |",
        "",
        "## Site of origin (>= 2 site-specific markers)",
        "",
        *site_table(main_rows),
        "",
        "## Site of origin, supplement (>= 1 site-specific marker)",
        "",
        *site_table(supp_rows),
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
    path.write_text(text, encoding="utf-8")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
