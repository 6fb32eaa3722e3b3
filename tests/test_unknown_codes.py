"""An unknown code in an otherwise good case: the item is skipped with a warning that every output
shows, and the patient is ranked; `--strict` refuses instead."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

import osteodx
from osteodx.api import ApiSettings, create_app
from osteodx.cli import app
from osteodx.report import assessment_to_fhir

FORM = "id: w\nage: 50\nsex: male\nfindings: [HP:9999999, Patchy osteosclerosis]\n"


def test_the_cli_ranks_the_case_and_prints_the_warning(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(FORM, encoding="utf-8")
    result = CliRunner().invoke(app, ["assess", str(path), "--similar", "0"])
    assert result.exit_code == 0
    assert "HP:9999999" in result.output and "skipped" in result.output


def test_strict_refuses_the_case(tmp_path: Path, monkeypatch) -> None:
    from osteodx.case import _build

    monkeypatch.delenv(_build.STRICT_ENV, raising=False)
    _build.default_context.cache_clear()
    path = tmp_path / "case.yaml"
    path.write_text(FORM, encoding="utf-8")
    try:
        result = CliRunner().invoke(app, ["assess", str(path), "--strict", "--similar", "0"])
        assert result.exit_code == 2
        assert "HP:9999999" in result.output
    finally:
        os.environ.pop(_build.STRICT_ENV, None)  # set by --strict itself, not by monkeypatch
        _build.default_context.cache_clear()


def test_fhir_and_the_api_summary_carry_the_warning() -> None:
    from osteodx.case import parse_case_form

    document = {
        "id": "w",
        "age": 50,
        "sex": "male",
        "findings": ["HP:9999999", "Patchy osteosclerosis"],
    }
    case = parse_case_form(document, "form")
    bundle = assessment_to_fhir(osteodx.assess(case, similar=0))
    outcomes = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "OperationOutcome"
    ]
    assert outcomes and "HP:9999999" in outcomes[0]["issue"][0]["diagnostics"]
    with TestClient(create_app(ApiSettings(similar=0))) as client:
        body = client.post("/api/v1/assess?detail=summary", json=document).json()
    assert any("HP:9999999" in w["message"] for w in body["warnings"])
