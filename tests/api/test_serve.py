"""`osteodx serve --workers 2`: one socket per worker, clean shutdown, a taken port refused."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(x) for x in out.split()}


def _serve(port: int, workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "osteodx.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_workers_serve_a_taken_port_is_refused_and_shutdown_is_clean() -> None:
    port = _free_port()
    server = _serve(port, 2)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start: " + server.stderr.read().decode()[-500:])  # type: ignore[union-attr]
        workers = _children(server.pid)
        assert len(workers) >= 2
        second = _serve(port, 2)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2
        assert f"--port {port}" in err.decode() and "Traceback" not in err.decode()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    time.sleep(0.5)
    running = [
        pid
        for pid in workers
        if os.path.exists(f"/proc/{pid}")
        and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    ]
    assert running == []
