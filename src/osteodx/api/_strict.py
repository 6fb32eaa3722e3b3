"""JSON request bodies read strictly: a key given twice, or a broken character (an unpaired
UTF-16 surrogate), is refused with a 422 naming it, instead of the last value silently winning or
the response failing later."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from osteodx.case._read import DuplicateKeyError, broken_text, refuse_duplicate_keys

__all__ = ["StrictJsonRoute"]


class _BrokenText(json.JSONDecodeError):
    def __init__(self, where: str, doc: str) -> None:
        super().__init__(
            f"{where} holds an unpaired UTF-16 surrogate (a broken character); send valid UTF-8",
            doc,
            0,
        )


class _StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                data = json.loads(body, object_pairs_hook=refuse_duplicate_keys)
            except DuplicateKeyError as exc:
                raise DuplicateKeyError(exc.key, body.decode("utf-8", "replace"), 0) from None
            where = broken_text(data)
            if where is not None:
                raise _BrokenText(where, body.decode("utf-8", "replace"))
            self._json = data
        return self._json


class StrictJsonRoute(APIRoute):
    """An API route whose JSON body is read by :class:`_StrictJsonRequest`; FastAPI turns its
    decoding errors into the usual 422 problem (``json_invalid``, the reason in the message)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(_StrictJsonRequest(request.scope, request.receive))

        return strict_handler
