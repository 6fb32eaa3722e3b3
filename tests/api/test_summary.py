"""The summary response of /api/v1/assess agrees with the full, explained differential."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import osteodx
from osteodx.api import ApiSettings, create_app
from osteodx.api._summary import AssessmentSummary, summarise
from osteodx.differential import compiled_kb, explain

EXAMPLES = Path(__file__).parents[2] / "examples"
SHARED_CASES = Path(__file__).parents[3] / "shared" / "benchmark" / "osteosclerosis-dev" / "cases"


def _cases() -> list[osteodx.Case]:
    cases = [
        osteodx.read_case(EXAMPLES / n) for n in ("founding-case.yaml", "founding-case-biopsy.yaml")
    ]
    if SHARED_CASES.is_dir():
        cases += [osteodx.read_case(p) for p in sorted(SHARED_CASES.glob("*.json"))]
    return cases


def _key(reason: object) -> tuple[str, float]:
    if isinstance(reason, dict):
        return reason["finding_id"], round(reason["log10_lr"], 9)
    return reason.finding_id, round(reason.log10_lr, 9)  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.case_id)
def test_summary_reasons_are_the_explained_reasons(case: osteodx.Case) -> None:
    kb = compiled_kb()
    full = explain(case, kb)
    summary = summarise(case, kb, top=5, reasons=3, versions=("kb", "hpo", "v"))
    ranked = [(r["key"], round(r["probability"], 12)) for r in summary["ranking"]]
    assert ranked == [(d.key, round(d.posttest, 12)) for d in full.diagnoses]
    for item, diagnosis in zip(summary["top"], full.diagnoses[:5], strict=True):
        assert item["key"] == diagnosis.key
        assert [_key(r) for r in item["reasons_for"]] == [_key(c) for c in diagnosis.reasons_for(3)]
        assert [_key(r) for r in item["reasons_against"]] == [
            _key(c) for c in diagnosis.reasons_against(3)
        ]
        sources = {c.finding_id: c.source for c in diagnosis.contributions}
        assert all(r["source"] == sources[r["finding_id"]] for r in item["reasons_for"])
    assert summary["in_scope"] == full.in_scope


def test_summary_counts_reported_test_results_like_explain() -> None:
    form = {
        "id": "pet-done",
        "age": 55,
        "sex": "female",
        "findings": ["Patchy osteosclerosis", "Bone pain"],
        "results": {"dotatate_pet": "sstr_avid"},
    }
    case = osteodx.case.parse_case_form(form, "test")
    assert case.test_results
    kb = compiled_kb()
    full = explain(case, kb)
    summary = summarise(case, kb, top=3, reasons=5, versions=("kb", "hpo", "v"))
    assert any(r["finding_id"] == "test:dotatate_pet" for r in summary["top"][0]["reasons_for"])
    for item, diagnosis in zip(summary["top"], full.diagnoses[:3], strict=True):
        assert [_key(r) for r in item["reasons_for"]] == [_key(c) for c in diagnosis.reasons_for(5)]
        assert [_key(r) for r in item["reasons_against"]] == [
            _key(c) for c in diagnosis.reasons_against(5)
        ]


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(create_app(ApiSettings(similar=0))) as c:
        yield c


def test_summary_mode_is_small_and_matches_its_schema(client: TestClient) -> None:
    packet = json.loads((EXAMPLES / "founding-case.json").read_text())
    full = client.post("/api/v1/assess", json=packet)
    light = client.post("/api/v1/assess", params={"detail": "summary"}, json=packet)
    assert light.status_code == 200
    body = AssessmentSummary.model_validate(light.json())
    assert len(light.content) * 20 < len(full.content)
    assert body.ranking[0].key == full.json()["differential"]["diagnoses"][0]["key"]
    assert len(body.top) == 5 and body.next_tests == []
    reasons = body.top[0].reasons_for
    assert reasons and all(r.evidence for r in reasons)
    assert all(r.source for r in reasons if r.evidence != "judgement")
    assert "not a medical device" in body.disclaimer


def test_summary_mode_gives_next_tests_when_asked(client: TestClient) -> None:
    packet = json.loads((EXAMPLES / "founding-case.json").read_text())
    r = client.post(
        "/api/v1/assess", params={"detail": "summary", "tests": 3, "top": 2}, json=packet
    )
    body = r.json()
    assert len(body["next_tests"]) == 3 and len(body["top"]) == 2
    full = client.post("/api/v1/assess", params={"tests": 3}, json=packet).json()
    assert [t["key"] for t in body["next_tests"]] == [t["key"] for t in full["next_tests"]]
    assert [t["tier"] for t in body["next_tests"]] == [t["tier"] for t in full["next_tests"]]
    assert all(t["tier"] and t["gain_per_burden"] > 0 for t in body["next_tests"])


def test_unknown_detail_mode_is_a_problem_naming_the_values(client: TestClient) -> None:
    r = client.post("/api/v1/assess", params={"detail": "short"}, json={"id": "x"})
    assert r.status_code == 422
    item = r.json()["errors"][0]
    assert item["loc"] == "query.detail" and item["accepted"] == ["full", "summary"]
