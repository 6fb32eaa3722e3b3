"""Run the API with N worker processes, each with its own listening socket (SO_REUSEPORT).

uvicorn's own ``--workers`` lets every worker accept from one shared socket; the first worker to
wake takes every pending connection, so a client with a few keep-alive connections (a load
balancer, a reverse proxy, a benchmark) can end up on one worker while the other idles (measured:
all 16 connections of a load test on one of two workers). With SO_REUSEPORT each worker has its
own socket and the kernel spreads new connections over them. Where SO_REUSEPORT does not balance
(not Linux) uvicorn's workers are used.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

__all__ = ["serve"]

APP = "osteodx.api.app:create_app"
_OPTIONS: dict[str, Any] = {"factory": True, "access_log": False, "log_level": "warning"}


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int) -> None:
    import uvicorn

    sock = _socket(host, port)
    sock.listen(2048)
    uvicorn.Server(uvicorn.Config(APP, **_OPTIONS)).run(sockets=[sock])


def serve(host: str, port: int, workers: int = 1) -> None:
    """Serve until SIGINT/SIGTERM; a worker that dies is started again (at most once a second).

    Raises ``OSError`` when the address cannot be bound (e.g. the port is taken).
    """
    import uvicorn

    if workers <= 1 or not sys.platform.startswith("linux") or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, host=host, port=port, workers=workers, **_OPTIONS)
        return
    # Fails here, in the parent, when anything listens on the port: without SO_REUSEPORT the
    # probe cannot join another server's socket group (which would share its traffic silently).
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(host, port)) for _ in range(workers)]
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for p in processes:
            p.start()
        last_restart = 0.0
        while not stopping:
            time.sleep(0.2)
            for i, p in enumerate(processes):
                if p.is_alive() or stopping:
                    continue
                if time.monotonic() - last_restart < 1.0:
                    continue
                last_restart = time.monotonic()
                processes[i] = context.Process(target=_worker, args=(host, port))
                processes[i].start()
    finally:
        for p in processes:
            if p.is_alive():
                p.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for p in processes:
            p.join(timeout=20)
            if p.is_alive():
                p.kill()
        for s, handler in previous.items():
            signal.signal(s, handler)
