"""A million cases: `osteodx rank` on 1,000,000 JSON Lines phenopackets; wall time and peak memory.

Usage: python benchmarks/million.py [--lines N] [--workers 2] [--stdin] [--store ZIP]

1. Writes a JSON Lines file into a temporary folder (deleted afterwards, never committed): the
   10,580 real phenopacket-store files, cycled in name order, each with a new ``id``
   (``million-0000000`` ...). About 4 kB a line, so 1,000,000 lines are about 4.3 GB.
2. Runs ``osteodx rank FILE --workers N -o OUT`` (or ``osteodx rank - < FILE`` with ``--stdin``)
   as a subprocess and measures its wall time. Memory is sampled every 0.2 s with psutil over
   the whole process tree (the command and its worker processes): the peak of the summed
   resident set size (RSS; pages shared after fork count once per process, so an upper bound)
   and, every 2 s, of the summed proportional set size (PSS, shared pages split between them).
   The peak in the first tenth of the run is given too: equal peaks mean flat memory. CPU time
   (user + sys of the whole tree, from getrusage) and the load average show how much of the
   machine the run had.
3. Checks the output: one line per input line, in input order (the ids read back in sequence).

Results are printed and written to benchmarks/results/million-<date>.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import orjson
import psutil

HERE = Path(__file__).parent
REPO = HERE.parent
DEFAULT_STORE = REPO.parent / "shared" / "data" / "phenopacket-store" / "all_phenopackets.zip"
OSTEODX = str(Path(sys.executable).parent / "osteodx")
ID_PREFIX = "million-"


def write_cases(store: Path, target: Path, lines: int) -> tuple[int, int]:
    """Cycle the corpus into ``target``: (distinct documents, bytes written)."""
    with zipfile.ZipFile(store) as zf:
        names = sorted(n for n in zf.namelist() if n.endswith(".json"))
        bodies = []
        for name in names:
            doc = orjson.loads(zf.read(name))
            doc.pop("id", None)
            body = orjson.dumps(doc)
            bodies.append(b"," + body[1:] if body != b"{}" else b"}")
    written = 0
    with open(target, "wb", buffering=1 << 22) as fh:
        for i in range(lines):
            line = b'{"id":"%s%07d"' % (ID_PREFIX.encode(), i) + bodies[i % len(bodies)] + b"\n"
            fh.write(line)
            written += len(line)
    return len(bodies), written


class TreeMemory:
    """Samples the summed RSS and PSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, int, int]] = []  # (seconds, rss, pss)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.start = time.perf_counter()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            rss = pss = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            full = n % 10 == 0  # PSS reads /proc/PID/smaps: dearer, so every 10th sample
            for proc in procs:
                try:
                    info = proc.memory_full_info() if full else proc.memory_info()
                except psutil.Error:
                    continue
                rss += info.rss
                pss += getattr(info, "pss", 0)
            self.samples.append((time.perf_counter() - self.start, rss, pss))
            n += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def check_output(out: Path, lines: int) -> tuple[int, int]:
    """(lines, lines out of order) of the ranking output."""
    count = disorder = 0
    with open(out, "rb", buffering=1 << 22) as fh:
        for i, line in enumerate(fh):
            count += 1
            expected = b'{"case_id":"%s%07d"' % (ID_PREFIX.encode(), i)
            if not line.startswith(expected):
                disorder += 1
    return count, disorder + abs(count - lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--stdin", action="store_true", help="pipe the file into `osteodx rank -`")
    ap.add_argument("--store", type=Path, default=DEFAULT_STORE)
    args = ap.parse_args(argv)
    if not args.store.is_file():
        print(f"phenopacket-store corpus not found at {args.store}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="osteodx-million-") as tmp:
        cases, out = Path(tmp) / "cases.jsonl", Path(tmp) / "rankings.jsonl"
        t = time.perf_counter()
        distinct, size = write_cases(args.store, cases, args.lines)
        made = time.perf_counter() - t
        print(f"wrote {args.lines:,} lines ({size / 1e9:.2f} GB) in {made:.0f} s", file=sys.stderr)
        if args.stdin:
            command = [OSTEODX, "rank", "-", "--workers", str(args.workers), "-o", str(out)]
            shown = f"osteodx rank - --workers {args.workers} -o OUT < cases.jsonl"
        else:
            command = [OSTEODX, "rank", str(cases), "--workers", str(args.workers), "-o", str(out)]
            shown = f"osteodx rank cases.jsonl --workers {args.workers} -o OUT"
        stdin = open(cases, "rb") if args.stdin else subprocess.DEVNULL  # noqa: SIM115
        load_before = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.Popen(command, stdin=stdin, stderr=subprocess.PIPE, text=True)
        with TreeMemory(proc.pid) as memory:
            _, stderr = proc.communicate()
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        load_after = os.getloadavg()[0]
        if args.stdin:
            stdin.close()  # type: ignore[union-attr]
        summary = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        count, disorder = check_output(out, args.lines)
        out_size = out.stat().st_size

    samples = memory.samples
    peak_rss = max(s[1] for s in samples)
    peak_pss = max(s[2] for s in samples)
    early = [s for s in samples if s[0] <= wall / 10] or samples[:1]
    early_rss = max(s[1] for s in early)
    report = io.StringIO()
    with redirect_stdout(report):
        print(f"# A million cases, {date.today()}\n")
        print(
            f"Command: `python benchmarks/million.py --lines {args.lines} "
            f"--workers {args.workers}{' --stdin' if args.stdin else ''}`, which runs "
            f"`{shown}`.\n"
        )
        print(
            f"Machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
            f"Python {platform.python_version()}; shared with other jobs while it ran "
            f"(1-minute load average {load_before:.1f} before, {load_after:.1f} after).\n"
        )
        print(
            f"Input: {args.lines:,} JSON Lines phenopackets, {size / 1e9:.2f} GB, cycling "
            f"{distinct:,} phenopacket-store files with new ids (written in {made:.0f} s).\n"
        )
        print("| measure | value | target |")
        print("|---|---|---|")
        print(
            f"| wall time of `osteodx rank` | {wall:.1f} s "
            f"({args.lines / wall:,.0f} cases/s) | < 120 s |"
        )
        print(
            f"| CPU time of the process tree (user + sys, all processes) | {cpu:.0f} s "
            f"({cpu / args.lines * 1e6:.0f} µs per case) | - |"
        )
        print(
            f"| peak memory of the process tree, summed RSS (psutil, every 0.2 s) | "
            f"{peak_rss / 2**20:.0f} MiB | < 1 GB |"
        )
        print(f"| the same as summed PSS (every 2 s) | {peak_pss / 2**20:.0f} MiB | - |")
        early_mib = early_rss / 2**20
        print(f"| peak summed RSS in the first tenth of the run | {early_mib:.0f} MiB | - |")
        print(f"| output | {count:,} lines, {out_size / 1e9:.2f} GB | one per input |")
        print(f"| lines out of input order or missing | {disorder} | 0 |")
        print(f"| rank summary (stderr) | {summary} | - |")
        print(f"| exit code | {proc.returncode} | 0 or 3 |")
    text = report.getvalue()
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    suffix = "-stdin" if args.stdin else ""
    (results / f"million{suffix}-{date.today()}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if disorder == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
