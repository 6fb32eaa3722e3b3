"""CPU and database work of a request, off the event loop and time-limited, so that a worker
keeps answering (``/api/v1/health``) while one request is long."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from fastapi import Response
from starlette.concurrency import run_in_threadpool

from osteodx.api._problems import problem

__all__ = ["REQUEST_SECONDS", "off_loop", "too_long"]

T = TypeVar("T")

# Longest a request may compute (reading, scoring, rendering) before it gets a 503.
REQUEST_SECONDS = 60.0


async def off_loop(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func`` in a worker thread, abandoned with ``TimeoutError`` after REQUEST_SECONDS."""
    with anyio.fail_after(REQUEST_SECONDS):
        return await run_in_threadpool(func, *args, **kwargs)


def too_long() -> Response:
    return problem(
        503,
        "Request took too long",
        f"the case could not be assessed within {REQUEST_SECONDS:.0f} s; shorten its free text "
        "or try again",
    )
