"""The dependency audit: what PyPI's advisory data can and cannot say about each pin."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import urllib.error
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "audit_dependencies", ROOT / "scripts" / "audit_dependencies.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


audit = _audit()


def _pypi(monkeypatch: pytest.MonkeyPatch, projects: dict[str, dict[str, Any]]) -> None:
    def urlopen(url: str, timeout: float) -> io.BytesIO:
        name = url.rstrip("/").split("/")[-2]
        if name not in projects:
            raise urllib.error.URLError("unreachable")
        return io.BytesIO(json.dumps(projects[name]).encode())

    monkeypatch.setattr(audit.urllib.request, "urlopen", urlopen)


def _constraints(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "constraints.txt"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_a_vulnerability_of_a_pin_at_the_newest_release_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    advisory = {"id": "PYSEC-1", "fixed_in": ["1.1"], "link": "https://osv.dev/PYSEC-1"}
    _pypi(monkeypatch, {"lib": {"info": {"version": "1.0"}, "vulnerabilities": [advisory]}})
    assert audit.main(["x", str(_constraints(tmp_path, "lib==1.0"))]) == 1
    assert "VULNERABLE lib==1.0: PYSEC-1" in capsys.readouterr().err


def test_clean_pins_pass_and_pins_behind_are_listed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _pypi(
        monkeypatch,
        {
            "a": {"info": {"version": "2.0"}, "vulnerabilities": []},
            "b": {"info": {"version": "3.0"}, "vulnerabilities": []},
        },
    )
    assert audit.main(["x", str(_constraints(tmp_path, "a==2.0", "b==2.5"))]) == 0
    err = capsys.readouterr().err
    assert "1 of 2 pins are the newest release" in err and "b==2.5 (newest 3.0)" in err


def test_no_network_says_the_audit_did_not_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _pypi(monkeypatch, {})
    assert audit.main(["x", str(_constraints(tmp_path, "a==1.0"))]) == 0
    assert "the audit did not run" in capsys.readouterr().err
