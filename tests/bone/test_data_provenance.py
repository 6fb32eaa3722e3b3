"""Every number and rule in the bone data files carries a citation-shaped source."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest
import yaml

from osteodx.bone import list_scores
from osteodx.bone._load import nen_conventions, treatment_data

_SOURCE = re.compile(
    r"^(PMID:?\s?\d+|PMC\d+|DOI:?\s?10\.\S+|https?://\S+|docs/[\w./-]+#[\w-]+)", re.IGNORECASE
)
FILES = [("scores", f"{d.id}.yaml") for d in list_scores()] + [
    ("data", "treatments.yaml"),
    ("data", "nen_conventions.yaml"),
]


def _walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        out.append((path, node))
        for key, value in node.items():
            out += _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _walk(value, f"{path}[{i}]")
    return out


@pytest.mark.parametrize(("folder", "name"), FILES)
def test_every_source_part_is_a_citation_and_docs_sources_are_estimates(
    folder: str, name: str
) -> None:
    raw = yaml.safe_load(resources.files("osteodx.bone").joinpath(folder, name).read_text())
    for path, node in _walk(raw):
        source = node.get("source")
        if source is None:
            continue
        for part in (p.strip() for p in str(source).split(";") if p.strip()):
            assert _SOURCE.match(part), f"{name}{path}: {part!r}"
            if part.startswith("docs/"):
                assert node.get("estimate") is True and node.get("basis"), f"{name}{path}"


@pytest.mark.parametrize(("folder", "name"), FILES)
def test_every_node_with_points_or_thresholds_has_a_source_above_it(folder: str, name: str) -> None:
    """Points, bands, category ranges and rule thresholds sit inside a sourced node."""
    raw = yaml.safe_load(resources.files("osteodx.bone").joinpath(folder, name).read_text())
    numeric = ("points", "ge", "gt", "le", "lt")
    sourced_paths = [p for p, node in _walk(raw) if "source" in node and p]
    for path, node in _walk(raw):
        if any(k in node for k in numeric) or ("min" in node and "label" in node):
            assert any(path.startswith(s) for s in sourced_paths), f"{name}{path}"


def test_all_data_files_load_into_their_models() -> None:
    assert len(list_scores()) == 6
    assert len(treatment_data().options) == 11
    assert nen_conventions().rules


def test_docs_sources_point_at_an_existing_heading() -> None:
    from osteodx.bone import scores_markdown

    text = scores_markdown()
    for rule in nen_conventions().rules:
        assert rule.source == "docs/scores.md#nen-conventions"
    assert "## NEN conventions" in text
