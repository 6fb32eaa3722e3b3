"""A key given twice and a broken character are refused, naming where, in every case format."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from osteodx.case import CaseInputError, read_case
from osteodx.cli import app


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_key_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.yaml", "id: t\nage: 62\nsex: male\nage: 3\nfindings: [HP:0005789]\n")
    with pytest.raises(CaseInputError) as exc:
        read_case(path)
    (issue,) = exc.value.errors
    assert issue.loc == "line 4" and "'age' appears twice" in issue.message


def test_a_json_key_given_twice_is_refused_naming_it(tmp_path: Path) -> None:
    text = '{"id": "t", "age": 62, "sex": "male", "age": 3, "findings": ["HP:0005789"]}'
    with pytest.raises(CaseInputError) as exc:
        read_case(_write(tmp_path, "c.json", text))
    assert "'age' appears twice" in exc.value.errors[0].message


def test_the_same_key_in_two_objects_is_fine(tmp_path: Path) -> None:
    text = (
        '{"id": "t", "sex": "male", "age": 40, "findings": ["HP:0005789"],'
        ' "labs": {"alkaline_phosphatase": "300 U/L"}, "pathology": null}'
    )
    assert read_case(_write(tmp_path, "c.json", text)).age_years == 40


def test_a_broken_character_anywhere_exits_2_naming_the_field(tmp_path: Path) -> None:
    text = '{"id": "t\\ud800", "sex": "male", "age": 40, "findings": ["HP:0005789"]}'
    result = CliRunner().invoke(app, ["assess", str(_write(tmp_path, "c.json", text))])
    assert result.exit_code == 2
    assert "id" in result.output and "surrogate" in result.output


def test_a_pipe_given_as_a_case_file_exits_2_instead_of_waiting(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "case.json"
    os.mkfifo(fifo)
    result = CliRunner().invoke(app, ["assess", str(fifo)])
    assert result.exit_code == 2 and "not a regular file" in result.output
