"""Speed and memory: per-case scoring, CLI cold start, and `osteodx rank` on the phenopacket store.

Usage: python benchmarks/speed.py [--store ZIP] [--limit N]

1. Median time of one ranking and of one full explained assessment, after loading.
2. Cold start of `osteodx assess examples/founding-case.yaml --json` (new process each time), and of
   the same case without free text (no medspaCy pipeline needed).
3. `osteodx rank` over the phenopacket-store corpus unpacked into a temporary folder: wall time and
   peak resident memory of the child process.
Results are printed and written to benchmarks/results/speed-<date>.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
REPO = HERE.parent
DEFAULT_STORE = REPO.parent / "shared" / "data" / "phenopacket-store" / "all_phenopackets.zip"
OSTEODX = str(Path(sys.executable).parent / "osteodx")


def per_case_times() -> tuple[float, float]:
    import osteodx

    case = osteodx.read_case(REPO / "examples" / "founding-case.json")
    osteodx.assess(case)
    rank_times, assess_times = [], []
    for _ in range(300):
        t = time.perf_counter()
        osteodx.ranking_line(case)
        rank_times.append(time.perf_counter() - t)
    for _ in range(100):
        t = time.perf_counter()
        osteodx.assess(case)
        assess_times.append(time.perf_counter() - t)
    return statistics.median(rank_times), statistics.median(assess_times)


def cold_start(args: list[str], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([OSTEODX, *args], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def rank_store(store: Path, limit: int | None) -> tuple[int, float, float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(store) as zf:
            names = [n for n in zf.namelist() if n.endswith(".json")]
            if limit:
                names = names[:limit]
            for name in names:
                target = Path(tmp) / name.replace("/", "__")
                target.write_bytes(zf.read(name))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        proc = subprocess.run([OSTEODX, "rank", tmp], capture_output=True, text=True)
        wall = time.perf_counter() - t
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        summary = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        lines = proc.stdout.count("\n")
    return lines, wall, max(peak_kb, before) / 1024, summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=DEFAULT_STORE)
    ap.add_argument("--limit", type=int, default=None, help="rank only the first N files")
    args = ap.parse_args(argv)

    rank_t, assess_t = per_case_times()
    founding = str(REPO / "examples" / "founding-case.yaml")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        packet = json.loads((REPO / "examples" / "founding-case.json").read_text())
        packet.pop("description", None)
        json.dump(packet, fh)
        no_text = fh.name
    cold_text = cold_start(["assess", founding, "--json"])
    cold_plain = cold_start(["assess", no_text, "--json"])
    os.unlink(no_text)
    report = io.StringIO()
    with redirect_stdout(report):
        print(f"# Speed, {date.today()} ({os.cpu_count()} CPUs)\n")
        print("Command: `python benchmarks/speed.py`\n")
        print("| measure | value |")
        print("|---|---|")
        rows = [
            ("one ranking after loading (median of 300)", f"{rank_t * 1000:.3f} ms"),
            ("one explained assessment after loading (median of 100)", f"{assess_t * 1e3:.2f} ms"),
            (
                "`osteodx assess` cold start, case with free text (median of 5)",
                f"{cold_text:.2f} s",
            ),
            ("`osteodx assess` cold start, no free text (median of 5)", f"{cold_plain:.2f} s"),
        ]
        for name, value in rows:
            print(f"| {name} | {value} |")
        if args.store.exists():
            n, wall, peak_mb, summary = rank_store(args.store, args.limit)
            rate = f"{wall:.1f} s ({n / wall:.0f} cases/s)"
            print(f"| `osteodx rank` on {n} phenopacket-store files | {rate} |")
            print(f"| peak resident memory of that run | {peak_mb:.0f} MB |")
            print(f"| rank summary | {summary} |")
    text = report.getvalue()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"speed-{date.today()}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
