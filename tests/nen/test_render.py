"""The NEN section as a pathologist reads it: grading measures by name, not by key."""

from __future__ import annotations

import io

from rich.console import Console

from osteodx.nen import NenPathology, classify
from osteodx.nen._render import render_classification


def test_grading_criteria_name_their_measure_and_mark_the_decisive_one() -> None:
    out = io.StringIO()
    pathology = NenPathology(
        site="pancreas", differentiation="well", ki67_percent=10, mitoses_per_2mm2=1
    )
    render_classification(classify(pathology), Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert "Ki-67 index (%) 10:" in text and "Mitoses per 2 mm² 1:" in text
    assert "decisive" in text
    assert "ki67_percent" not in text and "mitoses_per_2mm2" not in text
