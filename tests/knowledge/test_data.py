"""The one loader of shipped data: every problem at once, with the reviewer's path and the line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from osteodx.knowledge._data import DataError, load, load_raw


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    finding: str
    frequency: float = Field(gt=0, lt=1)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    findings: list[_Item]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "osteodx" / "knowledge" / "data" / "example.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_problem_is_reported_with_the_reviewer_path_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "findings:\n"
        "- finding: HP:0011001\n"
        "  frequency: 0.9\n"
        "- finding: HP:0002653\n"
        "  frequency: 1.5\n"
        "- finding: HP:0005789\n"
        "  frequncy: 0.2\n",
    )
    with pytest.raises(DataError) as exc:
        load(path, _File)
    message = str(exc.value)
    assert message.startswith("knowledge/data/example.yaml: 3 problems:")
    assert "findings[1] (HP:0002653).frequency (line 5): Input should be less than 1" in message
    assert "findings[2] (HP:0005789).frequency (line 6): Field required" in message
    assert "findings[2] (HP:0005789).frequncy (line 7): Extra inputs are not permitted" in message


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "findings:\n- finding: HP:0011001\n  frequency: [0.9\n")
    with pytest.raises(DataError, match=r"example.yaml \(line \d\): not valid YAML"):
        load_raw(path)


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot be read"):
        load_raw(tmp_path / "osteodx" / "nowhere.yaml")


def test_the_package_loaders_share_the_one_error_type() -> None:
    from osteodx.bone._errors import BoneDataError
    from osteodx.knowledge import KnowledgeError
    from osteodx.nen._load import NenDataError

    assert KnowledgeError is DataError and NenDataError is DataError
    assert BoneDataError is DataError


def test_a_broken_score_file_gives_a_message_at_help_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import osteodx.bone.cli as bone_cli
    from osteodx import cli

    def broken() -> None:
        raise DataError("bone/scores/mirels.yaml: 1 problem:\n  items[0].points: Field required")

    monkeypatch.setattr(bone_cli, "list_scores", broken)
    monkeypatch.setattr(bone_cli.score_app, "registered_commands", [])
    monkeypatch.setattr(sys, "argv", ["osteodx", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "mirels.yaml" in err and "Traceback" not in err
