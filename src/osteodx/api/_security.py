"""Request hardening: body size limit, API token, security headers (pure ASGI middleware)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("osteodx.api")

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
    """Whether binding ``host`` keeps the server on this machine. An empty host is *not*: the
    server then listens on every interface."""
    if host == "localhost":
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


# The browser's session cookie (set by POST /login) and the paths open without a token: the
# page's own assets and the login form.
SESSION_COOKIE = "osteodx_session"
OPEN_PREFIXES = ("/static/",)
OPEN_PATHS = frozenset({"/login", "/report.css", "/favicon.ico"})


# A sign-in lasts this long; the cookie then stops opening the server.
SESSION_SECONDS = 12 * 3600


def session_value(token: bytes, issued: int | None = None) -> bytes:
    """What the session cookie holds: the time it was issued and a signature of that time made
    with the token, so the cookie never carries the token and expires on the server's side."""
    when = int(time.time()) if issued is None else issued
    mac = hmac.new(token, b"osteodx web session v2|%d" % when, hashlib.sha256).hexdigest()
    return f"{when}.{mac}".encode()


def session_valid(cookie: bytes, token: bytes, now: float | None = None) -> bool:
    """A cookie signed with this token and issued less than SESSION_SECONDS ago."""
    issued_text, _, _ = cookie.partition(b".")
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    age = (time.time() if now is None else now) - issued
    if not 0 <= age <= SESSION_SECONDS:
        return False
    return hmac.compare_digest(cookie, session_value(token, issued))


def _cookie(headers: dict[bytes, bytes], name: str) -> bytes:
    for part in headers.get(b"cookie", b"").split(b";"):
        key, _, value = part.strip().partition(b"=")
        if key == name.encode():
            return value
    return b""


class HardeningMiddleware:
    """Adds security headers to every response (500s included), refuses bodies above
    ``max_body`` bytes and, when ``token`` is set, refuses every request but the page's assets
    and the login form without it: the token in ``X-API-Token`` or ``Authorization: Bearer``,
    or the session cookie the login form sets (compared in constant time)."""

    def __init__(self, app: ASGIApp, max_body: int, token: str | None) -> None:
        self.app = app
        self.max_body = max_body
        self.token = token.encode() if token else None

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        assert self.token is not None
        given = headers.get(b"x-api-token", b"")
        auth = headers.get(b"authorization", b"")
        if auth.lower().startswith(b"bearer "):
            given = auth[7:].strip()
        if given and hmac.compare_digest(given, self.token):
            return True
        cookie = _cookie(headers, SESSION_COOKIE)
        return bool(cookie) and session_valid(cookie, self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        path = scope["path"]
        if (
            self.token is not None
            and not (path in OPEN_PATHS or path.startswith(OPEN_PREFIXES))
            and not self._authorised(headers)
        ):
            if path.startswith("/api/") or scope.get("method") != "GET":
                await _send_problem(
                    send,
                    401,
                    "Unauthorized",
                    "this server requires an API token: send it in the X-API-Token header "
                    "(or Authorization: Bearer), or sign in on the web page (/login)",
                )
            else:  # a browser opening a page: to the login form
                await send(
                    {
                        "type": "http.response.start",
                        "status": 303,
                        "headers": [(b"location", b"/login"), *SECURITY_HEADERS],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
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

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            await _send_problem(
                send,
                413,
                "Request body too large",
                f"the body may be at most {self.max_body} bytes; send one case",
            )
        except Exception as exc:  # a failure inside a route: a problem with the headers, no data
            log.error("internal error: %s", type(exc).__name__)
            if started:
                raise
            await _send_problem(
                send, 500, "Internal error", "the server failed; no details are given out"
            )


class _BodyTooLarge(Exception):
    pass
