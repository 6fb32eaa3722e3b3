"""The terminal report at 80 columns: nothing cut, diagnoses by name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import osteodx
from osteodx.differential import compiled_kb
from osteodx.report import render_terminal

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.parametrize("example", ["founding-case.yaml", "founding-case-biopsy.yaml"])
def test_an_80_column_terminal_folds_long_text_and_never_cuts_it(example: str) -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    render_terminal(osteodx.assess(osteodx.read_case(EXAMPLES / example)), console)
    text = out.getvalue()
    assert "Differential diagnosis" in text and "…" not in text
    # Diagnoses and next-test outcomes are named, not keyed (keys such as "lymphoma" are words).
    keys = [key for key in compiled_kb().keys if "_" in key]
    assert keys and not any(key in text for key in keys)
