"""Every number in nen/data/*.yaml has a source; every source is one the references cite or a
declared researched source (address read, what was read, listed in docs/nen.md).

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
from pydantic import ValidationError

from osteodx.nen import _load
from osteodx.nen._schema import Study

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
    # an identifier where one has been checked, else the bibliographic reference (title and
    # journal at least), from which a reader finds the paper
    for s in used:
        study = data.studies[s]
        assert study.source or len(study.citation.split()) >= 6, s


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


def _sources(node: Any, researched: bool = False) -> list[tuple[str, bool]]:
    """Every citation part under a source key, with whether its entry is declared researched.

    A researched entry (``researched: true``) must also carry ``via`` and ``read``; the schema
    refuses it otherwise, and ``test_researched_entries_say_where_they_were_read`` checks it.
    """
    out: list[tuple[str, bool]] = []
    if isinstance(node, dict):
        here = researched or node.get("researched") is True
        for key, value in node.items():
            if key in SOURCE_KEYS and isinstance(value, str):
                out += [(p.strip(), here) for p in value.split(";") if p.strip()]
            else:
                out += _sources(value, here)
    elif isinstance(node, list):
        for value in node:
            out += _sources(value, researched)
    return out


def _corpus() -> str:
    files = sorted((SHARED / "reference").glob("nen-*.md"))
    files += [SHARED / "data" / "nen-case-library" / "cases.jsonl"]
    return "\n".join(f.read_text(encoding="utf-8") for f in files if f.exists())


def _docs() -> str:
    path = REPO / "docs" / "nen.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _researched_entries(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("researched") is True:
            out.append((path, node))
        for key, value in node.items():
            out += _researched_entries(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _researched_entries(value, f"{path}[{i}]")
    return out


def test_the_schema_refuses_a_researched_study_without_the_address_read() -> None:
    with pytest.raises(ValidationError):
        Study(
            citation="x",
            source="DOI:10.1000/x",
            design="d",
            researched=True,
            read="abstract",
        )
    with pytest.raises(ValidationError):
        Study(citation="x", source="DOI:10.1000/x", design="d", researched=True, via="DOI:10.1/y")


def test_researched_entries_say_where_they_were_read() -> None:
    """A source outside the reference notes names the address read (via) and what was read."""
    entries = [e for name in DATA_FILES for e in _researched_entries(_raw(name))]
    assert entries, "the site model uses researched sources; none found"
    bad = [
        path
        for path, node in entries
        if not (str(node.get("via") or "").strip() and str(node.get("read") or "").strip())
    ]
    assert bad == []


@pytest.mark.skipif(not (SHARED / "reference").exists(), reason="reference texts not available")
def test_every_source_is_cited_in_the_references_or_is_declared_and_documented() -> None:
    """Never invent a citation.

    Each PMID, PMC, DOI and URL either occurs in the reference texts, or belongs to an entry
    declared ``researched`` (with the address read and what was read) and is listed in
    docs/nen.md, where the figures taken from it are given; ``docs/`` anchors are allowed for
    declared estimates only (the schema enforces that) and must exist.
    """
    corpus = _corpus()
    docs = _docs()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", docs, re.M)
    }
    missing = []
    for name in DATA_FILES:
        for part, researched in _sources(_raw(name)):
            if part.startswith("docs/"):
                if part.split("#", 1)[1] not in anchors:
                    missing.append(f"{name}: {part} (no such heading in docs/nen.md)")
                continue
            key = re.sub(r"^(PMID:?\s?|DOI:?\s?)", "", part, flags=re.I)
            if key in corpus:
                continue
            if not researched:
                missing.append(f"{name}: {part} (not in the references, not declared researched)")
            elif key not in docs:
                missing.append(f"{name}: {part} (researched, but not listed in docs/nen.md)")
    assert missing == []


STUDY_KEY = re.compile(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b")


def test_study_keys_named_in_a_recorded_markers_reason_are_declared() -> None:
    """A recorded, unscored marker (e.g. CEA) gives its sources by study key in its reason.

    Each key is a study of site_markers.yaml (a researched one is also listed in docs/nen.md) or
    a key of the reference notes; the second check needs the notes and is left out without them.
    """
    data = _load.site_markers()
    corpus = _corpus()
    docs = _docs()
    cited = {key for m in data.recognised_markers for key in STUDY_KEY.findall(m.reason)}
    assert {"CEA-DELELLIS", "CEA-JANSEN", "MATIAS-GUIU"} <= cited
    undeclared = []
    for key in sorted(cited):
        study = data.studies.get(key)
        if study is None:
            if corpus and key not in corpus:
                undeclared.append(f"{key} (not a study of the file, not in the reference notes)")
        elif study.researched and key not in docs:
            undeclared.append(f"{key} (researched, but not listed in docs/nen.md)")
    assert undeclared == []


def test_a_marker_name_shared_by_two_markers_is_refused() -> None:
    from osteodx.nen._schema import SiteMarkerFile

    text = resources.files("osteodx.nen").joinpath("data/site_markers.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    SiteMarkerFile.model_validate(raw)  # the shipped file has no clash
    s100 = next(m for m in raw["recognised_markers"] if m["id"] == "s100")
    s100["aliases"] = [*s100["aliases"], "TTF-1"]  # TTF-1 already names ttf1
    with pytest.raises(ValidationError, match="'TTF-1' of s100 is also a name of ttf1"):
        SiteMarkerFile.model_validate(raw)
