"""Every number in nen/data/*.yaml has a source, and every source is one the references cite.

The reference texts live next to the repository (../shared/reference/*.md and the case library);
the citation check is skipped when they are not there.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from osteodx.nen import _load

REPO = Path(__file__).parents[2]
SHARED = REPO.parent / "shared"
DATA_FILES = (
    "grading.yaml",
    "staging.yaml",
    "site_markers.yaml",
    "site_clues.yaml",
    "imaging.yaml",
    "circulating.yaml",
)
SOURCE_KEYS = {"source", "via", "detection_source"}


def _raw(name: str) -> Any:
    return yaml.safe_load(
        resources.files("osteodx.nen").joinpath("data", name).read_text(encoding="utf-8")
    )


def _unsourced_numbers(node: Any, path: str, sourced: bool, out: list[str]) -> None:
    if isinstance(node, dict):
        here = sourced or bool(SOURCE_KEYS & node.keys()) or "study" in node
        for key, value in node.items():
            if path == "" and key == "version":
                continue
            _unsourced_numbers(value, f"{path}.{key}" if path else str(key), here, out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _unsourced_numbers(value, f"{path}[{i}]", sourced, out)
    elif isinstance(node, int | float) and not isinstance(node, bool) and not sourced:
        out.append(path)


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_number_in_the_data_files_has_a_source(name: str) -> None:
    missing: list[str] = []
    _unsourced_numbers(_raw(name), "", False, missing)
    assert missing == [], f"{name}: numbers without a source: {missing}"


def test_every_study_used_by_an_observation_has_a_citation_shaped_source() -> None:
    data = _load.site_markers()
    used = {o.study for m in data.markers for obs in m.frequencies.values() for o in obs}
    assert used <= set(data.studies)
    assert all(data.studies[s].source for s in used)


def test_all_data_files_validate() -> None:
    for loader in (
        _load.grading,
        _load.staging,
        _load.site_markers,
        _load.clues,
        _load.imaging,
        _load.circulating,
    ):
        loader()


def _sources(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SOURCE_KEYS and isinstance(value, str):
                out += [p.strip() for p in value.split(";") if p.strip()]
            else:
                out += _sources(value)
    elif isinstance(node, list):
        for value in node:
            out += _sources(value)
    return out


def _corpus() -> str:
    files = sorted((SHARED / "reference").glob("nen-*.md"))
    files += [SHARED / "data" / "nen-case-library" / "cases.jsonl"]
    return "\n".join(f.read_text(encoding="utf-8") for f in files if f.exists())


@pytest.mark.skipif(not (SHARED / "reference").exists(), reason="reference texts not available")
def test_every_source_is_cited_in_the_references_or_is_a_declared_docs_estimate() -> None:
    """Never invent a citation: each PMID, PMC, DOI and URL occurs in the reference texts."""
    corpus = _corpus()
    docs = (
        (REPO / "docs" / "nen.md").read_text(encoding="utf-8")
        if (REPO / "docs" / "nen.md").exists()
        else ""
    )
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", docs, re.M)
    }
    missing = []
    for name in DATA_FILES:
        for part in _sources(_raw(name)):
            if part.startswith("docs/"):
                if part.split("#", 1)[1] not in anchors:
                    missing.append(f"{name}: {part} (no such heading in docs/nen.md)")
                continue
            key = re.sub(r"^(PMID:?\s?|DOI:?\s?)", "", part, flags=re.I)
            if key not in corpus:
                missing.append(f"{name}: {part}")
    assert missing == []
