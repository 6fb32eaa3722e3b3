"""Throughput and latency of the REST API under a local, bounded load generator.

Usage: python benchmarks/api_load.py [--seconds 10] [--concurrency 16] [--workers 2]
                                     [--repeat 3] [--generator python|wrk]

Starts `osteodx serve --workers N` on a free loopback port (uvicorn; uvloop and httptools when
installed), then, for each request kind, a separate load-generator process keeps a fixed number
of keep-alive connections busy for the given time:

- `POST /api/v1/assess` (full explained assessment) with the founding case as a phenopacket
  without free text and with it;
- `POST /api/v1/assess?detail=summary` (ranking with top reasons) with the same two bodies;
- `GET /api/v1/health` (the framework alone: the ceiling of this set-up).

The default generator is a small asyncio HTTP/1.1 client (pre-built request, Content-Length
framing, every status checked); `--generator wrk` uses wrk when it is installed. Reported per
kind: requests/s, p50/p90/p99/max latency, response size, and the server's CPU time per request
(user + system time of the worker processes, from /proc, divided by the requests served: it
does not depend on what else runs on the machine). Writes benchmarks/results/api-load-<date>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "examples" / "founding-case.json"
TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- load generator (child process) ----------------------------------------------------------


async def _load(
    port: int, path: str, body: bytes, seconds: float, concurrency: int
) -> tuple[list[float], int]:
    method = "POST" if body else "GET"
    request = (
        f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    sizes: list[int] = []
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if match is None:
                    raise RuntimeError("response without Content-Length")
                await reader.readexactly(int(match.group(1)))
                if head[9:12] != b"200":
                    raise RuntimeError(f"status {head[9:12].decode()} for {path}")
                latencies.append(time.perf_counter() - start)
                sizes.append(int(match.group(1)))
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies, int(statistics.mean(sizes)) if sizes else 0


def _child(port: int, path: str, body_file: str, seconds: float, concurrency: int) -> int:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    body = Path(body_file).read_bytes() if body_file != "-" else b""
    lat, size = asyncio.run(_load(port, path, body, seconds, concurrency))
    lat.sort()
    n = len(lat)
    print(
        json.dumps(
            {
                "requests": n,
                "rps": n / seconds,
                "p50_ms": lat[n // 2] * 1000,
                "p90_ms": lat[int(0.90 * (n - 1))] * 1000,
                "p99_ms": lat[int(0.99 * (n - 1))] * 1000,
                "max_ms": lat[-1] * 1000,
                "bytes": size,
            }
        )
    )
    return 0


def _wrk(port: int, path: str, body_file: str, seconds: float, concurrency: int) -> dict[str, Any]:
    body = Path(body_file).read_text() if body_file != "-" else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if body:
            script.write(
                'wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\n'
                f"wrk.body = {json.dumps(body)}\n"
            )
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{seconds:g}s",
            "--latency",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}{path}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    os.unlink(script.name)

    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def ms(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        return float(m.group(1)) * units[m.group(2)]

    total = re.search(r"(\d+) requests in .*?, ([\d.]+)(B|KB|MB|GB) read", out)
    latency = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    if total is None or latency is None or "Non-2xx" in out:
        raise RuntimeError(out)
    requests = int(total.group(1))
    scale = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[total.group(3)]
    return {
        "requests": requests,
        "rps": requests / seconds,
        "p50_ms": ms("50"),
        "p90_ms": ms("90"),
        "p99_ms": ms("99"),
        "max_ms": float(latency.group(1)) * units[latency.group(2)],
        "bytes": int(float(total.group(2)) * scale / max(1, requests)),  # headers included
    }


# --- server and orchestration ----------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def _busy_seconds() -> float:
    """CPU time the whole machine spent busy (all processes), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _post(base: str, path: str, body: bytes) -> None:
    req = urllib.request.Request(
        base + path, data=body or None, headers={"content-type": "application/json"}
    )
    urllib.request.urlopen(req, timeout=60).read()


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    loops = []
    for name in ("uvloop", "httptools"):
        try:
            __import__(name)
            loops.append(name)
        except ImportError:
            pass
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, uvicorn with "
        f"{' and '.join(loops) if loops else 'asyncio and h11'}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="Runs per request kind.")
    ap.add_argument("--generator", choices=("python", "wrk"), default="python")
    ap.add_argument("--only", help="Run only the kinds whose name contains this text.")
    ap.add_argument("--out", type=Path, help="Result file (default results/api-load-DATE.md).")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:  # the load generator, in its own process
        port, path, body_file = args.child
        return _child(int(port), path, body_file, args.seconds, args.concurrency)
    if args.generator == "wrk" and shutil.which("wrk") is None:
        print(
            "error --generator wrk: wrk is not installed; fix: apt-get install wrk, or use "
            "--generator python",
            file=sys.stderr,
        )
        return 2

    packet = json.loads(EXAMPLE.read_text())
    coded = {k: v for k, v in packet.items() if k != "description"}
    bodies = {"coded": json.dumps(coded).encode(), "text": json.dumps(packet).encode()}
    kinds = [
        ("full, coded findings", "/api/v1/assess", "coded"),
        ("full, with free text", "/api/v1/assess", "text"),
        ("summary, coded findings", "/api/v1/assess?detail=summary", "coded"),
        ("summary, with free text", "/api/v1/assess?detail=summary", "text"),
        ("health (framework only)", "/api/v1/health", ""),
    ]
    if args.only:
        kinds = [k for k in kinds if args.only in k[0]]

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
    rows: list[tuple[str, dict[str, Any]]] = []
    load_before = os.getloadavg()
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        workers = _children(server.pid) if args.workers > 1 else [server.pid]
        with tempfile.TemporaryDirectory() as tmp:
            files = {}
            for name, data in bodies.items():
                files[name] = Path(tmp) / f"{name}.json"
                files[name].write_bytes(data)
            for name, path, body_name in kinds:
                body = bodies.get(body_name, b"")
                for _ in range(4 * args.workers):  # warm every worker (caches, first parse)
                    if body:
                        _post(base, path, body)
                    else:
                        urllib.request.urlopen(base + path, timeout=30).read()
                for _ in range(args.repeat):
                    cpu0 = _cpu_seconds(workers)
                    each0 = [_cpu_seconds([w]) for w in workers]
                    busy0, generator0 = _busy_seconds(), _children_cpu()
                    if args.generator == "wrk":
                        result = _wrk(
                            port,
                            path,
                            str(files[body_name]) if body_name else "-",
                            args.seconds,
                            args.concurrency,
                        )
                    else:
                        out = subprocess.run(
                            [
                                sys.executable,
                                __file__,
                                "--seconds",
                                str(args.seconds),
                                "--concurrency",
                                str(args.concurrency),
                                "--child",
                                str(port),
                                path,
                                str(files[body_name]) if body_name else "-",
                            ],
                            check=True,
                            capture_output=True,
                            text=True,
                        ).stdout
                        result = json.loads(out)
                    cpu = _cpu_seconds(workers) - cpu0
                    each = [_cpu_seconds([w]) - c for w, c in zip(workers, each0, strict=True)]
                    result["split"] = "/".join(
                        f"{100 * c / cpu:.0f}" for c in sorted(each, reverse=True) if c > 0.01 * cpu
                    )
                    generator = _children_cpu() - generator0
                    other = _busy_seconds() - busy0 - cpu - generator
                    result["server_cpu_ms"] = cpu / max(1, result["requests"]) * 1000
                    result["generator_cores"] = generator / args.seconds
                    result["other_cores"] = max(0.0, other / args.seconds)
                    rows.append((name, result))
                    print(name, json.dumps(result), file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=20)

    command = (
        f"python benchmarks/api_load.py --seconds {args.seconds:g} --concurrency "
        f"{args.concurrency} --workers {args.workers} --repeat {args.repeat} --generator "
        f"{args.generator}" + (f" --only '{args.only}'" if args.only else "")
    )
    lines = [
        f"# REST API load test, {date.today()}",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {_machine()}. Server (`osteodx serve --workers {args.workers}`) and load "
        f"generator ({args.generator}, {args.concurrency} keep-alive connections) share the "
        f"machine over loopback. 1-minute load average before the run: {load_before[0]:.2f}. "
        "`server CPU` is the user + system time of the server workers per request; "
        "`generator` the CPU the load generator used, and `others` the CPU used by everything "
        "else on the machine during the run, both in cores (of "
        f"{os.cpu_count()}): other jobs take CPU from the server when `others` is high. "
        "`split` is how the server CPU divided between the workers (%): the workers share one "
        "listening socket, and the connections need not spread evenly.",
        "",
        "| request | run | requests | requests/s | p50 | p90 | p99 | max | response | "
        "server CPU/request | split | generator | others |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    runs: dict[str, int] = {}
    for name, r in rows:
        runs[name] = runs.get(name, 0) + 1
        lines.append(
            f"| {name} | {runs[name]} | {r['requests']} | {r['rps']:.0f} | {r['p50_ms']:.1f} ms | "
            f"{r['p90_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['max_ms']:.0f} ms | "
            f"{r['bytes'] / 1000:.1f} kB | {r['server_cpu_ms']:.2f} ms | {r['split']} | "
            f"{r['generator_cores']:.2f} | {r['other_cores']:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    out_file = args.out or HERE / "results" / f"api-load-{date.today()}.md"
    out_file.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
