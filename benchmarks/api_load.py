"""Throughput and latency of POST /api/v1/assess under a local load generator.

Usage: python benchmarks/api_load.py [--seconds 20] [--concurrency 16] [--workers 2]

Starts `osteodx serve --workers N` on a free loopback port, then a separate load-generator
process (httpx, asyncio, fixed concurrency) posts the founding case (phenopacket without free
text, and with it) for the given time. Reports requests/s and p50/p99 latency; writes
benchmarks/results/api-load-<date>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "examples" / "founding-case.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _load(url: str, body: bytes, seconds: float, concurrency: int) -> list[float]:
    import httpx

    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                r = await client.post(
                    url, content=body, headers={"content-type": "application/json"}
                )
                if r.status_code != 200:
                    raise RuntimeError(f"status {r.status_code}")
                latencies.append(time.perf_counter() - t)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def _generator(url: str, body: bytes, seconds: float, concurrency: int) -> dict[str, float]:
    lat = asyncio.run(_load(url, body, seconds, concurrency))
    lat.sort()
    return {
        "requests": len(lat),
        "rps": len(lat) / seconds,
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": lat[int(0.99 * (len(lat) - 1))] * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:  # the load generator, in its own process
        url, body_file, _ = args.child
        result = _generator(url, Path(body_file).read_bytes(), args.seconds, args.concurrency)
        print(json.dumps(result))
        return 0

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "osteodx"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        packet = json.loads(EXAMPLE.read_text())
        variants = {
            "phenopacket, coded findings": {k: v for k, v in packet.items() if k != "description"},
            "phenopacket with free text": packet,
        }
        for name, document in variants.items():
            body = HERE / "results" / ".api-body.json"
            body.parent.mkdir(exist_ok=True)
            body.write_text(json.dumps(document))
            for _ in range(2):  # warm every server worker
                urllib.request.urlopen(
                    urllib.request.Request(
                        base + "/api/v1/assess",
                        data=body.read_bytes(),
                        headers={"content-type": "application/json"},
                    ),
                    timeout=30,
                )
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--seconds",
                    str(args.seconds),
                    "--concurrency",
                    str(args.concurrency),
                    "--child",
                    base + "/api/v1/assess",
                    str(body),
                    "x",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            body.unlink()
            rows.append((name, json.loads(out)))
    finally:
        server.terminate()
        server.wait(timeout=10)
    lines = [
        f"# /api/v1/assess load test, {date.today()} ({os.cpu_count()} CPUs)",
        "",
        f"Command: `python benchmarks/api_load.py --seconds {args.seconds:g} "
        f"--concurrency {args.concurrency} --workers {args.workers}` (server and load "
        "generator on the same machine, loopback)",
        "",
        "| request | requests | requests/s | p50 | p99 |",
        "|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['requests']} | {r['rps']:.0f} | {r['p50_ms']:.1f} ms | "
            f"{r['p99_ms']:.1f} ms |"
        )
    text = "\n".join(lines) + "\n"
    (HERE / "results" / f"api-load-{date.today()}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
