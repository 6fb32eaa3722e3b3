"""Cases per second per Dask worker: `osteodx rank --dask` on a local cluster.

Usage: python benchmarks/dask_throughput.py [--lines 200000] [--workers 1 2] [--store ZIP]

Writes a JSON Lines file into a temporary folder (phenopacket-store files cycled with new ids,
as benchmarks/million.py does), starts a ``distributed.LocalCluster`` with N worker processes
of one thread each, has every worker rank 2,000 cases first (so each has loaded the knowledge
base and the text pipeline), then times :func:`osteodx.batch.rank_with_dask` on the whole file,
writing partitioned JSON Lines into a folder; this is what ``osteodx rank --dask ADDRESS FILE
-o DIR`` runs. The time includes the line-count pass, ranking and writing. Results go to
benchmarks/results/dask-throughput-<date>.md.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import tempfile
import time
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

from distributed import Client, LocalCluster

sys.path.insert(0, str(Path(__file__).parent))
from million import DEFAULT_STORE, write_cases
from osteodx.batch import rank_lines, rank_with_dask

HERE = Path(__file__).parent


def _warm(path: str) -> int:
    """Run in every worker: load the knowledge base and the text pipeline, rank a few cases."""
    with open(path, encoding="utf-8") as fh:
        _, counts = rank_lines(fh.readlines(), "warm")
    return counts.total


def measure(workers: int, cases: Path, warm: Path, out: Path, blocksize: int) -> float:
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_warm, str(warm))
        t = time.perf_counter()
        counts = rank_with_dask(
            cluster.scheduler_address, str(cases), out / f"run-{workers}", blocksize
        )
        wall = time.perf_counter() - t
    assert counts.total > 0
    return wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--blocksize", type=int, default=16_000_000)
    ap.add_argument("--store", type=Path, default=DEFAULT_STORE)
    args = ap.parse_args(argv)
    logging.getLogger("distributed").setLevel(logging.ERROR)

    rows = []
    with tempfile.TemporaryDirectory(prefix="osteodx-dask-") as tmp:
        cases, warm = Path(tmp) / "cases.jsonl", Path(tmp) / "warm.jsonl"
        _, size = write_cases(args.store, cases, args.lines)
        write_cases(args.store, warm, 2_000)
        for n in args.workers:
            wall = measure(n, cases, warm, Path(tmp), args.blocksize)
            rows.append((n, wall, args.lines / wall, args.lines / wall / n))
            print(f"{n} worker(s): {wall:.1f} s", file=sys.stderr)
    report = io.StringIO()
    with redirect_stdout(report):
        print(f"# Dask throughput, {date.today()}\n")
        print(
            f"Command: `python benchmarks/dask_throughput.py --lines {args.lines} --workers "
            f"{' '.join(map(str, args.workers))} --blocksize {args.blocksize}` on "
            f"{os.cpu_count()} CPUs (shared with other jobs). Input: {args.lines:,} JSON Lines "
            f"phenopackets ({size / 1e9:.2f} GB, phenopacket-store files cycled with new ids); "
            "LocalCluster worker processes with one thread each, output written as partitioned "
            "JSON Lines.\n"
        )
        print("| workers | wall time | cases/s | cases/s per worker |")
        print("|---|---|---|---|")
        for n, wall, rate, per in rows:
            print(f"| {n} | {wall:.1f} s | {rate:,.0f} | {per:,.0f} |")
    text = report.getvalue()
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"dask-throughput-{date.today()}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
