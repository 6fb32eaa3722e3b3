"""What hostile or careless requests find: token on every route, limits that say what they are,
no data in errors, security headers on every response, CPU work off the event loop."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from osteodx.api import ApiSettings, create_app
from osteodx.api._problems import MAX_ERRORS
from osteodx.api._security import SESSION_COOKIE, is_loopback

EXAMPLES = Path(__file__).parents[2] / "examples"
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def packet() -> dict[str, Any]:
    return json.loads((EXAMPLES / "founding-case.json").read_text())


@pytest.fixture(scope="module")
def guarded() -> TestClient:
    with TestClient(create_app(ApiSettings(token=TOKEN, similar=0))) as c:
        yield c


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(create_app(ApiSettings(similar=0))) as c:
        yield c


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("10.0.0.5", False),
    ],
)
def test_only_loopback_addresses_count_as_this_machine(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serving_on_every_interface_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from osteodx.cli import app

    monkeypatch.delenv("OSTEODX_API_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--host", ""])
    assert result.exit_code == 2
    assert "needs an API token" in result.output


def test_every_route_but_the_assets_needs_the_token(guarded: TestClient) -> None:
    form = {"case_id": "w", "sex": "male", "age": "40", "findings": "Patchy osteosclerosis"}
    assert guarded.post("/assess", data=form).status_code == 401
    assert guarded.post("/assess.pdf", data=form).status_code == 401
    page = guarded.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert guarded.get("/api/v1/hpo/search", params={"q": "bone pain"}).status_code == 401
    for open_path in ("/static/app.js", "/static/form.css", "/login", "/report.css"):
        assert guarded.get(open_path).status_code == 200, open_path


def test_signing_in_sets_a_cookie_that_opens_the_page_and_the_search() -> None:
    with TestClient(create_app(ApiSettings(token=TOKEN, similar=0))) as browser:
        wrong = browser.post("/login", data={"token": "nope"}, follow_redirects=False)
        assert wrong.status_code == 401 and SESSION_COOKIE not in browser.cookies
        right = browser.post("/login", data={"token": TOKEN}, follow_redirects=False)
        assert right.status_code == 303
        cookie = right.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert TOKEN not in cookie  # the cookie holds a value derived from the token
        # The browser now sends the cookie: the page and its HPO search answer.
        assert browser.get("/api/v1/hpo/search", params={"q": "bone pain"}).status_code == 200
        assert browser.get("/", follow_redirects=False).status_code == 200
        browser.cookies.set(SESSION_COOKIE, "forged")
        assert browser.get("/", follow_redirects=False).status_code == 303


def test_a_thousand_unknown_keys_get_a_small_capped_answer(client: TestClient) -> None:
    body = {f"unknown_{i}": 1 for i in range(5000)}
    r = client.post("/api/v1/treatments", json=body)
    assert r.status_code == 422
    problem = r.json()
    assert len(problem["errors"]) <= MAX_ERRORS
    assert problem.get("errors_total", len(problem["errors"])) >= len(problem["errors"])
    assert len(r.content) < 60_000


@pytest.mark.parametrize(
    "path", ["/api/v1/assess", "/api/v1/assess?detail=summary", "/api/v1/cases/similar"]
)
def test_a_broken_character_is_a_422_naming_the_field(
    client: TestClient, packet: dict[str, Any], path: str
) -> None:
    raw = json.dumps({**packet, "id": "x\ud800y"})  # json.dumps escapes it as \ud800
    r = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert "surrogate" in r.text
    assert "frame-ancestors" in r.headers["content-security-policy"]


def test_a_key_given_twice_is_refused(client: TestClient) -> None:
    raw = '{"id": "d", "age": 62, "sex": "male", "age": 3, "findings": ["HP:0005789"]}'
    r = client.post("/api/v1/assess", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "'age' appears twice" in r.text


def test_a_failure_inside_a_route_is_a_500_with_the_security_headers(
    monkeypatch: pytest.MonkeyPatch, packet: dict[str, Any]
) -> None:
    import osteodx.api.app as app_module

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("patient data that must not leak")

    monkeypatch.setattr(app_module, "assess", broken)
    with TestClient(create_app(ApiSettings(similar=0)), raise_server_exceptions=False) as c:
        r = c.post("/api/v1/assess", json=packet)
    assert r.status_code == 500
    assert "patient data" not in r.text
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_health_answers_while_a_long_assessment_runs(
    monkeypatch: pytest.MonkeyPatch, packet: dict[str, Any]
) -> None:
    import osteodx.api.app as app_module

    real = app_module.assess

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(2.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(app_module, "assess", slow)
    app = create_app(ApiSettings(similar=0))

    async def scenario() -> tuple[float, int]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test") as c,
        ):
            long = asyncio.create_task(c.post("/api/v1/assess", json=packet))
            await asyncio.sleep(0.2)
            start = time.perf_counter()
            health = await c.get("/api/v1/health")
            waited = time.perf_counter() - start
            assert (await long).status_code == 200
            return waited, health.status_code

    waited, status = asyncio.run(scenario())
    assert status == 200 and waited < 1.0


def test_the_text_pipeline_is_ready_before_the_first_request() -> None:
    from osteodx.case import default_context

    with TestClient(create_app(ApiSettings(similar=0))):
        assert default_context().text._nlp is not None


def test_a_request_longer_than_the_limit_gets_a_503(
    monkeypatch: pytest.MonkeyPatch, packet: dict[str, Any]
) -> None:
    import osteodx.api._work as work
    import osteodx.api.app as app_module

    real = app_module.assess

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(app_module, "assess", slow)
    monkeypatch.setattr(work, "REQUEST_SECONDS", 0.3)
    with TestClient(create_app(ApiSettings(similar=0))) as c:
        start = time.perf_counter()
        r = c.post("/api/v1/assess", json=packet)
        waited = time.perf_counter() - start
    assert r.status_code == 503 and "too long" in r.json()["title"]
    assert waited < 1.4  # the answer did not wait for the thread


def test_a_session_cookie_expires_and_cannot_be_forged() -> None:
    from osteodx.api._security import SESSION_SECONDS, session_valid, session_value

    token = TOKEN.encode()
    fresh = session_value(token)
    assert session_valid(fresh, token)
    old = session_value(token, issued=int(time.time()) - SESSION_SECONDS - 10)
    assert not session_valid(old, token)
    assert not session_valid(session_value(b"another-token-xxxx"), token)
    assert not session_valid(b"1.abc", token) and not session_valid(b"garbage", token)


def test_only_the_exact_open_paths_skip_the_token(guarded: TestClient) -> None:
    for path in ("/loginX", "/login/../api/v1/health", "/report.css/x", "/staticx/app.js"):
        r = guarded.get(path, follow_redirects=False)
        assert r.status_code in (303, 401), path


def test_a_short_or_padded_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from osteodx.cli import app

    monkeypatch.delenv("OSTEODX_API_TOKEN", raising=False)
    for bad in ("short", " padded-token-of-length "):
        result = CliRunner().invoke(app, ["serve", "--token", bad])
        assert result.exit_code == 2 and "at least 16 characters" in result.output
