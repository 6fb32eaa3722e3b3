"""Case-library benchmark: similar-case search, PubMed import, kill -9 during an import.

    .venv/bin/python benchmarks/library_speed.py [--cases 100000] [--pubmed 10000] [--queries 50]

1. Similar-case search over N synthetic library cases (copies of the shipped published cases with
   varied age, sex, sites and markers) on SQLite: time per query (median, p95, max) of
   ``similar_cases(top=10)`` including the itemised explanation, after the library's vectors are
   stacked once (that one-off load is reported separately). Target < 50 ms per query.
2. Import of M synthetic PubMed XML records into a seeded SQLite library (parse, extract, merge,
   one transaction). Target < 20 s.
3. ``kill -9`` of an ``osteodx cases import`` process while it is writing (the SQLite WAL file is
   growing): the library must be unchanged afterwards (same ids, same content hash, integrity ok).

Synthetic records are for timing only; they are not publications.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from osteodx.literature import open_library, profile_from_record, similar_cases
from osteodx.literature._features import Profile
from osteodx.literature._readers import Incoming

SITES = ["spine", "pelvis", "skull", "femur", "ribs", "sternum", "humerus", "diffuse"]
METS = ["liver", "lymph_nodes", "lung", "brain", "peritoneum"]
PRIMARIES = ["lung", "pancreas", "small_intestine", "rectum", "unknown", "other:thyroid"]


def _shipped() -> list[dict[str, Any]]:
    text = resources.files("osteodx.literature").joinpath("data/cases.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def synthetic_cases(n: int, seed: int = 7) -> list[Incoming]:
    rng = random.Random(seed)
    base = _shipped()
    items = []
    for i in range(n):
        data = json.loads(json.dumps(base[i % len(base)]))
        data["case_id"] = f"syn-{i:06d}"
        data["citation"] = {"pmid": str(90_000_000 + i), "title": "[synthetic benchmark case]"}
        data["age"] = rng.randint(18, 90) if rng.random() > 0.1 else None
        data["sex"] = rng.choice(["male", "female", None])
        data["bone_sites"] = rng.sample(SITES, rng.randint(0, 3))
        data["other_metastases"] = rng.sample(METS, rng.randint(0, 2))
        data["primary_site"] = rng.choice(PRIMARIES)
        data["bone_lesion_type"] = rng.choice(["osteoblastic", "osteolytic", "mixed", None, None])
        data["grade"] = rng.choice(["G1", "G2", "G3", None])
        data["ki67_percent"] = rng.choice([None, None, rng.randint(1, 80)])
        items.append(Incoming(f"synthetic #{i}", data, explicit_id=True))
    return items


def pubmed_xml(n: int, seed: int = 11) -> str:
    rng = random.Random(seed)
    parts = ["<?xml version='1.0' encoding='UTF-8'?>\n<PubmedArticleSet>"]
    for i in range(n):
        age = rng.randint(20, 85)
        sex = rng.choice(["man", "woman"])
        lesion = rng.choice(["osteoblastic", "osteolytic", "sclerotic", "lytic"])
        site = rng.choice(["spine", "pelvis", "femur", "skull", "ribs"])
        ki = rng.randint(1, 60)
        parts.append(
            f"<PubmedArticle><MedlineCitation><PMID>{91_000_000 + i}</PMID><Article>"
            "<Journal><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue>"
            "<Title>Synthetic Benchmark Journal</Title></Journal>"
            f"<ArticleTitle>[synthetic benchmark record {i}] {lesion} bone metastases of a "
            "neuroendocrine tumour</ArticleTitle>"
            f"<ELocationID EIdType='doi'>10.99999/bench.{i}</ELocationID>"
            f"<Abstract><AbstractText Label='CASE'>A {age}-year-old {sex} presented with pain. "
            f"Imaging showed multiple {lesion} bone metastases of the {site}. Biopsy showed a "
            f"neuroendocrine tumor with a Ki-67 index of {ki}%. The primary was not found."
            "</AbstractText><AbstractText Label='CONCLUSION'>Bone metastases can be the first "
            "sign of a neuroendocrine neoplasm.</AbstractText></Abstract>"
            "<AuthorList><Author><LastName>Bench</LastName><Initials>M</Initials></Author>"
            "</AuthorList></Article></MedlineCitation></PubmedArticle>"
        )
    parts.append("</PubmedArticleSet>\n")
    return "\n".join(parts)


def bench_similar(folder: Path, n: int, queries: int) -> dict[str, Any]:
    url = f"sqlite:///{folder / 'big.sqlite'}"
    lib = open_library(url)
    items = synthetic_cases(n)
    t0 = time.perf_counter()
    lib.import_items(items, origin="benchmark")
    build = time.perf_counter() - t0
    lib.close()

    lib = open_library(url)  # a fresh process-level object: nothing cached
    t0 = time.perf_counter()
    compiled = lib.compiled()
    load = time.perf_counter() - t0
    rng = random.Random(3)
    shipped = lib.get_many([f"nen-{i:03d}" for i in range(1, 81)])
    profiles: list[Profile] = [profile_from_record(r) for r in shipped.values()]
    times = []
    for q in range(queries):
        profile = profiles[rng.randrange(len(profiles))]
        t0 = time.perf_counter()
        matches = similar_cases(lib, profile, top=10)
        times.append(time.perf_counter() - t0)
        assert len(matches) == 10, q
    lib.close()
    times.sort()
    return {
        "library_cases": len(compiled),
        "build_seconds": round(build, 2),
        "vector_load_seconds_once": round(load, 3),
        "query_ms_median": round(1000 * statistics.median(times), 2),
        "query_ms_p95": round(1000 * times[int(0.95 * (len(times) - 1))], 2),
        "query_ms_max": round(1000 * times[-1], 2),
        "target_ms": 50,
    }


def bench_import(folder: Path, n: int) -> tuple[dict[str, Any], Path]:
    xml = folder / "pubmed.xml"
    xml.write_text(pubmed_xml(n), encoding="utf-8")
    lib = open_library(f"sqlite:///{folder / 'import.sqlite'}")
    t0 = time.perf_counter()
    report = lib.import_file(xml)
    seconds = time.perf_counter() - t0
    lib.close()
    assert len(report.added) == n and not report.skipped, report.skipped[:3]
    return {
        "records": n,
        "seconds": round(seconds, 2),
        "records_per_second": round(n / seconds),
        "target_seconds": 20,
    }, xml


_CLI = """
import sys, typer
from osteodx.literature.cli import register
app = typer.Typer()
@app.callback()
def main() -> None: pass
register(app)
app(sys.argv[1:])
"""


def _state(url: str) -> tuple[int, str, str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT case_id, record FROM cases ORDER BY case_id")).all()
        check = conn.execute(sa.text("PRAGMA integrity_check")).scalar()
    engine.dispose()
    digest = hashlib.sha256("".join(f"{a}\0{b}\n" for a, b in rows).encode()).hexdigest()
    return len(rows), digest, str(check)


def bench_kill(folder: Path, xml: Path) -> dict[str, Any]:
    db = folder / "kill.sqlite"
    url = f"sqlite:///{db}"
    open_library(url).close()
    before = _state(url)
    wal = Path(f"{db}-wal")
    start_size = wal.stat().st_size if wal.exists() else 0
    child = subprocess.Popen(
        [sys.executable, "-c", _CLI, "cases", "import", str(xml), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t0 = time.perf_counter()
    killed_at = None
    while child.poll() is None and time.perf_counter() - t0 < 120:
        size = wal.stat().st_size if wal.exists() else 0
        if size > start_size + 2_000_000:  # the import transaction is spilling pages: mid-write
            os.kill(child.pid, signal.SIGKILL)
            killed_at = (round(time.perf_counter() - t0, 2), size)
            break
        time.sleep(0.005)
    child.wait()
    after = _state(url)
    lib = open_library(url)
    reopened = lib.count()
    lib.close()
    return {
        "killed": killed_at is not None and child.returncode == -signal.SIGKILL,
        "killed_after_seconds": killed_at[0] if killed_at else None,
        "wal_bytes_at_kill": killed_at[1] if killed_at else None,
        "cases_before": before[0],
        "cases_after": after[0],
        "content_unchanged": before[1] == after[1],
        "integrity_check": after[2],
        "count_after_reopen": reopened,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--pubmed", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="osteodx-bench-") as tmp:
        folder = Path(tmp)
        results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d")}
        results["similar"] = bench_similar(folder, args.cases, args.queries)
        print("similar:", json.dumps(results["similar"]), flush=True)
        results["import_pubmed"], xml = bench_import(folder, args.pubmed)
        print("import:", json.dumps(results["import_pubmed"]), flush=True)
        results["kill_9"] = bench_kill(folder, xml)
        print("kill -9:", json.dumps(results["kill_9"]), flush=True)
    ok = (
        results["similar"]["query_ms_p95"] < 50
        and results["import_pubmed"]["seconds"] < 20
        and results["kill_9"]["killed"]
        and results["kill_9"]["content_unchanged"]
        and results["kill_9"]["integrity_check"] == "ok"
    )
    results["all_targets_met"] = ok
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("all targets met" if ok else "TARGET MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
