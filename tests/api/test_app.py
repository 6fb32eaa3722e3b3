"""REST API and web page through FastAPI's TestClient: every endpoint, bad input, security."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from osteodx.api import ApiSettings, create_app

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(create_app(ApiSettings(similar=0))) as c:
        yield c


@pytest.fixture(scope="module")
def packet() -> dict:
    return json.loads((EXAMPLES / "founding-case.json").read_text())


def test_assess_returns_the_full_assessment(client, packet) -> None:
    r = client.post("/api/v1/assess", json=packet)
    assert r.status_code == 200
    body = r.json()
    keys = [d["key"] for d in body["differential"]["diagnoses"]]
    assert len(keys) == 33 and "metastasis_nen" in keys[:2]
    assert "not a medical device" in body["disclaimer"]


def test_assess_accepts_a_case_form(client) -> None:
    form = {"id": "f", "age": 60, "sex": "male", "findings": ["Generalized osteosclerosis"]}
    assert client.post("/api/v1/assess", json=form).status_code == 200


def test_a_malformed_hpo_id_is_a_problem_naming_the_field(client, packet) -> None:
    bad = {**packet, "phenotypicFeatures": [{"type": {"id": "HP:99", "label": "?"}}]}
    r = client.post("/api/v1/assess", json=bad)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 422
    assert problem["errors"][0]["loc"] == "phenotypicFeatures[0].type.id"
    assert "phenotypicFeatures[0].type.id" in problem["detail"]


def test_an_hpo_id_newer_than_the_shipped_release_is_skipped_with_a_warning(client, packet) -> None:
    newer = {
        **packet,
        "phenotypicFeatures": [
            *packet["phenotypicFeatures"],
            {"type": {"id": "HP:9999999", "label": "?"}},
        ],
    }
    r = client.post("/api/v1/assess", json=newer)
    assert r.status_code == 200
    warnings = r.json()["case"]["warnings"]
    assert any("HP:9999999" in w["message"] and "skipped" in w["message"] for w in warnings)


def test_malformed_json_is_a_problem_not_a_trace(client) -> None:
    r = client.post(
        "/api/v1/assess", content=b'{"id": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert "Traceback" not in r.text
    assert r.json()["title"] == "Invalid request"


def test_oversize_body_is_refused(packet) -> None:
    with TestClient(create_app(ApiSettings(max_body_bytes=2000, similar=0))) as small:
        r = small.post("/api/v1/assess", json=packet)
    assert r.status_code == 413
    assert r.json()["status"] == 413


def test_token_is_required_when_configured(packet) -> None:
    with TestClient(create_app(ApiSettings(token="s3cret", similar=0))) as guarded:
        assert guarded.post("/api/v1/assess", json=packet).status_code == 401
        wrong = guarded.post("/api/v1/assess", json=packet, headers={"X-API-Token": "nope"})
        assert wrong.status_code == 401
        ok = guarded.post("/api/v1/assess", json=packet, headers={"X-API-Token": "s3cret"})
        assert ok.status_code == 200
        bearer = guarded.get("/api/v1/health", headers={"Authorization": "Bearer s3cret"})
        assert bearer.status_code == 200


def test_hpo_search_finds_terms(client) -> None:
    r = client.get("/api/v1/hpo/search", params={"q": "patchy osteosclerosis"})
    assert r.status_code == 200
    assert {"id": "HP:0005686", "label": "Patchy osteosclerosis"} in r.json()


def test_hpo_search_validates_the_query(client) -> None:
    r = client.get("/api/v1/hpo/search", params={"q": "x"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == "query.q"


def test_openapi_docs_are_served(client) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/assess" in paths and "/api/v1/hpo/search" in paths


def test_security_headers_on_every_page(client) -> None:
    for path in ("/", "/api/v1/health", "/static/app.js"):
        h = client.get(path).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"


def test_web_form_round_trip_shows_the_differential(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'for="findings"' in page.text
    r = client.post(
        "/assess",
        data={
            "case_id": "web-1",
            "age": "30",
            "sex": "male",
            "findings": "Low back pain\nPatchy osteosclerosis\nHP:4000189",
            "excluded": "Osteolysis",
            "labs": "",
            "notes": "",
        },
    )
    assert r.status_code == 200
    assert "Differential diagnosis" in r.text and "<style>" not in r.text
    assert 'id="export-pdf"' in r.text


def test_web_form_error_is_shown_next_to_the_field_with_values_kept(client) -> None:
    r = client.post(
        "/assess", data={"case_id": "web-2", "age": "300", "findings": "Patchy osteosclerosis"}
    )
    assert r.status_code == 422
    assert 'id="age-error"' in r.text and "impossible" in r.text
    assert "Patchy osteosclerosis" in r.text  # what the user typed is kept


def test_web_pdf_export(client) -> None:
    r = client.post(
        "/assess.pdf", data={"case_id": "web-3", "age": "30", "findings": "Patchy osteosclerosis"}
    )
    assert r.status_code == 200
    assert r.content[:5] == b"%PDF-"


def test_server_workers_freeze_the_start_up_heap() -> None:
    import gc

    assert ApiSettings.from_environment().freeze_heap
    assert not ApiSettings().freeze_heap
    try:
        with TestClient(create_app(ApiSettings(similar=0, freeze_heap=True))):
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
