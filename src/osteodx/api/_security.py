"""Request hardening: body size limit, API token, security headers (pure ASGI middleware)."""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def problem_bytes(status: int, title: str, detail: str, **extra: Any) -> bytes:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return json.dumps(body).encode()


async def _send_problem(send: Send, status: int, title: str, detail: str) -> None:
    body = problem_bytes(status, title, detail)
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        *SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HardeningMiddleware:
    """Adds security headers to every response, refuses bodies above ``max_body`` bytes and,
    when ``token`` is set, refuses API requests without it (compared in constant time)."""

    def __init__(self, app: ASGIApp, max_body: int, token: str | None) -> None:
        self.app = app
        self.max_body = max_body
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.token is not None and scope["path"].startswith("/api/"):
            given = headers.get(b"x-api-token", b"")
            auth = headers.get(b"authorization", b"")
            if auth.lower().startswith(b"bearer "):
                given = auth[7:].strip()
            if not hmac.compare_digest(given, self.token):
                await _send_problem(
                    send,
                    401,
                    "Unauthorized",
                    "this server requires an API token: send it in the "
                    "X-API-Token header (or Authorization: Bearer)",
                )
                return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _send_problem(
                send,
                413,
                "Request body too large",
                f"the body may be at most {self.max_body} bytes; send one case",
            )
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in SECURITY_HEADERS if h[0] not in existing),
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            await _send_problem(
                send,
                413,
                "Request body too large",
                f"the body may be at most {self.max_body} bytes; send one case",
            )


class _BodyTooLarge(Exception):
    pass
