"""CPU and database work of a request, off the event loop and time-limited, so that a worker
keeps answering (``/api/v1/health``) while one request is long."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Response

from osteodx.api._problems import problem

__all__ = ["REQUEST_SECONDS", "off_loop", "too_long"]

T = TypeVar("T")

# Longest a request may compute (reading, scoring, rendering) before it gets a 503.
REQUEST_SECONDS = 60.0


async def off_loop(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func`` in a worker thread; after REQUEST_SECONDS the request stops waiting for it and
    gets ``TimeoutError`` (a thread cannot be killed: it finishes in the background, bounded by
    the limits on what a request may hold, such as 50,000 characters of free text)."""
    call = functools.partial(func, *args, **kwargs)
    with anyio.fail_after(REQUEST_SECONDS):
        return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)


def too_long() -> Response:
    return problem(
        503,
        "Request took too long",
        f"the case could not be assessed within {REQUEST_SECONDS:.0f} s; shorten its free text "
        "or try again",
    )
