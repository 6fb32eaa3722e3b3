"""The `osteodx` command: tables, JSON, JSON Lines, exit codes and messages on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from osteodx import assessment_from_json
from osteodx.cli import app

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
runner = CliRunner()


def test_assess_prints_the_differential_table() -> None:
    result = runner.invoke(
        app, ["assess", str(EXAMPLES / "founding-case.yaml")], env={"COLUMNS": "220"}
    )
    assert result.exit_code == 0, result.output
    assert "Differential diagnosis" in result.output
    assert "Next tests, in the order a clinician orders them" in result.output
    assert "not a medical device" in result.output


def test_assess_json_is_the_full_assessment_and_reads_back() -> None:
    result = runner.invoke(app, ["assess", str(EXAMPLES / "founding-case.json"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["differential"]["diagnoses"]) == 33
    assert data["differential"]["in_scope"] is True
    again = assessment_from_json(result.stdout)
    assert again.differential.diagnoses[0].key == data["differential"]["diagnoses"][0]["key"]


def test_bad_input_exits_2_with_field_and_fix_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nage: 300\nfindings: [Sclerotic bonez]\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "osteodx.cli", "assess", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "age: age 300 years is impossible" in proc.stderr
    assert "findings[0]" in proc.stderr
    assert "fix:" in proc.stderr


def test_malformed_json_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": ', encoding="utf-8")
    result = runner.invoke(app, ["assess", str(bad)])
    assert result.exit_code == 2
    assert "malformed JSON" in result.output


def test_rank_writes_one_line_per_case_with_every_key(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    result = runner.invoke(app, ["rank", str(EXAMPLES), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == len(list(EXAMPLES.glob("*.json"))) + len(list(EXAMPLES.glob("*.yaml")))
    for line in lines:
        probs = [item["probability"] for item in line["ranking"]]
        assert len(line["ranking"]) == 33
        assert probs == sorted(probs, reverse=True)
        assert (
            {"case_id", "in_scope", "ranking"}
            <= set(line)
            <= {"case_id", "in_scope", "ranking", "warnings"}
        )


def test_rank_keeps_going_past_a_bad_case_and_exits_3(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text((EXAMPLES / "founding-case.json").read_text())
    (tmp_path / "bad.json").write_text("{oops")
    out = tmp_path / "r.jsonl"
    result = runner.invoke(app, ["rank", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 3
    records = {r["case_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert "malformed JSON" in records["bad"]["error"]
    assert "ranking" in records["founding-case"]
    assert "read 1, refused 1" in result.output


def test_rank_reads_json_lines_from_stdin() -> None:
    packet = json.loads((EXAMPLES / "founding-case.json").read_text())
    stdin = json.dumps(packet) + "\n" + json.dumps({**packet, "id": "second"}) + "\n"
    result = runner.invoke(app, ["rank", "-"], input=stdin)
    assert result.exit_code == 0
    ids = [json.loads(x)["case_id"] for x in result.stdout.splitlines() if x.startswith("{")]
    assert ids == ["founding-case", "second"]
