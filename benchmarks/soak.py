"""Soak test of the REST API: minutes of mixed good and hostile requests against two workers.

Usage: python benchmarks/soak.py [--seconds 600] [--concurrency 8] [--workers 2]

Starts `osteodx serve --workers N` on a free loopback port and keeps `--concurrency` clients busy
with a rotating mix of requests: good assessments (full and summary, with and without free text),
and hostile ones (5,000 unknown keys, a broken character, a key given twice, free text over the
limit, malformed JSON, a body over the size limit, a deeply nested document, an unknown method).
Meanwhile a separate client asks `/api/v1/health` every half second, and the workers' resident
memory is sampled every 10 s. Reported: requests/s, p50/p99 latency per kind, the status codes
seen (a 5xx or a dropped connection is an error), the slowest `/health` answer, and memory over
time. Writes benchmarks/results/soak-<date>.md. Not a test: it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import httpx

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "examples" / "founding-case.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _requests() -> list[tuple[str, str, str, bytes]]:
    """(kind, method, path, body) in rotation: about two good requests for each hostile one."""
    packet = json.loads(EXAMPLE.read_text("utf-8"))
    no_text = {k: v for k, v in packet.items() if k != "description"}
    good_full = json.dumps(packet).encode()
    good_summary = json.dumps(no_text).encode()
    unknown_keys = json.dumps({f"unknown_{i}": 1 for i in range(5000)}).encode()
    surrogate = json.dumps({**packet, "id": "x\ud800"}).encode()
    duplicate = b'{"id": "d", "age": 62, "sex": "male", "age": 3, "findings": ["HP:0005789"]}'
    long_text = json.dumps({**packet, "description": "bone pain, " * 6000}).encode()
    nested = ("[" * 5000 + "]" * 5000).encode()
    too_big = b'{"id": "' + b"x" * 1_100_000 + b'"}'
    return [
        ("good: assess full", "POST", "/api/v1/assess", good_full),
        ("good: assess summary", "POST", "/api/v1/assess?detail=summary", good_summary),
        ("good: assess full", "POST", "/api/v1/assess", good_full),
        ("hostile: 5,000 unknown keys", "POST", "/api/v1/treatments", unknown_keys),
        ("good: assess summary", "POST", "/api/v1/assess?detail=summary", good_summary),
        ("hostile: broken character", "POST", "/api/v1/assess", surrogate),
        ("good: assess full", "POST", "/api/v1/assess", good_full),
        ("hostile: key given twice", "POST", "/api/v1/assess", duplicate),
        ("good: assess summary", "POST", "/api/v1/assess?detail=summary", good_summary),
        ("hostile: text over the limit", "POST", "/api/v1/assess", long_text),
        ("hostile: malformed JSON", "POST", "/api/v1/assess", b'{"id": '),
        ("good: assess full", "POST", "/api/v1/assess", good_full),
        ("hostile: deeply nested", "POST", "/api/v1/assess", nested),
        ("hostile: body over the limit", "POST", "/api/v1/assess", too_big),
        ("hostile: TRACE", "TRACE", "/api/v1/assess", b""),
    ]


def _worker_rss_mb(server: subprocess.Popen[bytes]) -> float:
    """Resident memory of the server and its worker processes, in MB (from /proc)."""
    pids = [server.pid]
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def _soak(
    port: int, seconds: float, concurrency: int, server: subprocess.Popen[bytes]
) -> dict:
    base = f"http://127.0.0.1:{port}"
    plan = _requests()
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    health: list[float] = []
    memory: list[tuple[float, float]] = []
    stop = time.monotonic() + seconds
    counter = 0

    async def client(index: int) -> None:
        nonlocal counter
        async with httpx.AsyncClient(base_url=base, timeout=120) as c:
            i = index
            while time.monotonic() < stop:
                kind, method, path, body = plan[i % len(plan)]
                i += concurrency
                start = time.perf_counter()
                try:
                    r = await c.request(
                        method,
                        path,
                        content=body or None,
                        headers={"content-type": "application/json"} if body else None,
                    )
                    statuses[kind][str(r.status_code)] += 1
                except httpx.HTTPError as exc:
                    statuses[kind][type(exc).__name__] += 1
                latencies[kind].append(time.perf_counter() - start)
                counter += 1

    async def watch_health() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    r = await c.get("/api/v1/health")
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                health.append(time.perf_counter() - start if ok else float("inf"))
                await asyncio.sleep(0.5)

    async def watch_memory() -> None:
        begin = time.monotonic()
        while time.monotonic() < stop:
            memory.append((time.monotonic() - begin, _worker_rss_mb(server)))
            await asyncio.sleep(10)

    began = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(concurrency)), watch_health(), watch_memory())
    elapsed = time.monotonic() - began
    return {
        "elapsed": elapsed,
        "requests": counter,
        "latencies": latencies,
        "statuses": statuses,
        "health": health,
        "memory": memory,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    port = _free_port()
    exe = Path(sys.executable).with_name("osteodx")
    env = {**os.environ, "OSTEODX_API_TOKEN": ""}
    server = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(120):
            try:
                if (
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        result = asyncio.run(_soak(port, args.seconds, args.concurrency, server))
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = sum(
        n
        for c in result["statuses"].values()
        for code, n in c.items()
        if not code.isdigit() or code.startswith("5")
    )
    finite = [h for h in result["health"] if h != float("inf")]
    lines = [
        f"# API soak test, {date.today().isoformat()}",
        "",
        f"Command: `python benchmarks/soak.py --seconds {args.seconds:g} --concurrency "
        f"{args.concurrency} --workers {args.workers}` on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}).",
        "",
        f"- {result['requests']:,} requests in {result['elapsed']:.0f} s: "
        f"{result['requests'] / result['elapsed']:.1f} requests/s.",
        f"- Errors (5xx or dropped connections): {errors}.",
        f"- /api/v1/health: {len(result['health'])} checks, slowest answer "
        f"{max(finite) * 1000 if finite else float('nan'):.0f} ms, median "
        f"{statistics.median(finite) * 1000 if finite else float('nan'):.1f} ms, "
        f"{len(result['health']) - len(finite)} without an answer.",
        "- Resident memory of the server and its workers (MB): "
        + ", ".join(
            f"{t:.0f} s {m:.0f}"
            for t, m in result["memory"][:: max(1, len(result["memory"]) // 12)]
        ),
        "",
        "| kind | requests | p50 ms | p99 ms | statuses |",
        "|---|---:|---:|---:|---|",
    ]
    for kind in sorted(result["latencies"]):
        values = sorted(result["latencies"][kind])
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
        codes = ", ".join(f"{c} x{n}" for c, n in sorted(result["statuses"][kind].items()))
        lines.append(
            f"| {kind} | {len(values)} | {statistics.median(values) * 1000:.0f} | "
            f"{p99 * 1000:.0f} | {codes} |"
        )
    report = "\n".join(lines) + "\n"
    out = HERE / "results" / f"soak-{date.today().isoformat()}.md"
    out.write_text(report, encoding="utf-8")
    sys.stdout.write(report)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
