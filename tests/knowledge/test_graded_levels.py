"""Graded laboratory levels in labs.yaml: declared, chained and checked on load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from osteodx.knowledge import KnowledgeError, load_knowledge, load_knowledge_from
from osteodx.knowledge._schema import GradedLevel, LabAnalyte

TINY = Path(__file__).parents[1] / "fixtures" / "kb"

ALP_LEVEL = """    graded:
      - finding: OSX:alp_far_above
        label: ALP far above the limit
        above_uln: 3
        source: PMID:3
        unlisted_given_parent: {value: 0.2, evidence: {kind: judgement, reasoning: test}}
"""


def _tiny_kb_with_level(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(TINY, root)
    labs = root / "labs.yaml"
    text = labs.read_text(encoding="utf-8")
    anchor = "      - {sex: any, age_min: 0, age_max: 18, low: 100, high: 400, source: https://example.org/test}\n"
    assert anchor in text
    labs.write_text(text.replace(anchor, anchor + ALP_LEVEL, 1), encoding="utf-8")
    return root


def _add_to_alpha(root: Path, lines: str) -> None:
    path = root / "conditions" / "alpha.yaml"
    path.write_text(path.read_text(encoding="utf-8") + lines, encoding="utf-8")


def test_a_graded_level_becomes_a_finding_implying_the_level_below(tmp_path: Path) -> None:
    kb = load_knowledge_from(_tiny_kb_with_level(tmp_path))
    finding = kb.local_findings["OSX:alp_far_above"]
    assert finding.category == "lab"
    assert finding.implies == ("HP:0003155",)


def test_a_condition_listing_a_level_must_list_the_level_below(tmp_path: Path) -> None:
    root = _tiny_kb_with_level(tmp_path)
    _add_to_alpha(
        root,
        "  - {finding: OSX:alp_far_above, label: ALP far above the limit, frequency: 0.3,"
        " evidence: {kind: judgement, reasoning: test}}\n",
    )
    with pytest.raises(KnowledgeError, match="but not HP:0003155, the level below it"):
        load_knowledge_from(root)


def test_a_level_cannot_be_commoner_than_the_level_below(tmp_path: Path) -> None:
    root = _tiny_kb_with_level(tmp_path)
    _add_to_alpha(
        root,
        "  - {finding: HP:0003155, label: Elevated circulating alkaline phosphatase"
        " concentration, frequency: 0.3, evidence: {kind: judgement, reasoning: test}}\n"
        "  - {finding: OSX:alp_far_above, label: ALP far above the limit, frequency: 0.4,"
        " evidence: {kind: judgement, reasoning: test}}\n",
    )
    with pytest.raises(KnowledgeError, match="must be rarer than HP:0003155"):
        load_knowledge_from(root)


def test_a_level_below_the_one_below_it_loads(tmp_path: Path) -> None:
    root = _tiny_kb_with_level(tmp_path)
    _add_to_alpha(
        root,
        "  - {finding: HP:0003155, label: Elevated circulating alkaline phosphatase"
        " concentration, frequency: 0.6, evidence: {kind: judgement, reasoning: test}}\n"
        "  - {finding: OSX:alp_far_above, label: ALP far above the limit, frequency: 0.3,"
        " evidence: {kind: judgement, reasoning: test}}\n",
    )
    kb = load_knowledge_from(root)
    assert "OSX:alp_far_above" in {f.finding for f in kb.condition("alpha").findings}


def test_a_graded_level_takes_no_background_from_unlisted_yaml(tmp_path: Path) -> None:
    root = _tiny_kb_with_level(tmp_path)
    (root / "unlisted.yaml").write_text(
        "unlisted:\n  - {finding: OSX:alp_far_above, label: ALP far above the limit,"
        " frequency: 0.01, evidence: {kind: judgement, reasoning: test}}\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="unlisted_given_parent"):
        load_knowledge_from(root)


def _lab(*levels: dict[str, object], high_term: bool = True) -> LabAnalyte:
    return LabAnalyte.model_validate(
        {
            "key": "marker",
            "name": "Marker",
            "source": "PMID:1",
            "unit": "ng/mL",
            "plausible": {"min": 0, "max": 1000},
            "high_term": {"id": "HP:0025020", "label": "x"} if high_term else None,
            "graded": list(levels),
        }
    )


def _level(finding: str, above: float, parent: bool = True) -> dict[str, object]:
    level: dict[str, object] = {
        "finding": finding,
        "label": finding,
        "above": above,
        "source": "PMID:1",
    }
    if parent:
        level["unlisted_given_parent"] = {
            "value": 0.1,
            "evidence": {"kind": "judgement", "reasoning": "test"},
        }
    return level


def test_thresholds_must_rise() -> None:
    with pytest.raises(ValidationError, match="rise strictly"):
        _lab(_level("OSX:a", 100), _level("OSX:b", 20))


def test_a_level_above_another_finding_needs_its_background() -> None:
    with pytest.raises(ValidationError, match="needs 'unlisted_given_parent'"):
        _lab(_level("OSX:a", 20, parent=False))


def test_a_level_needs_exactly_one_kind_of_threshold() -> None:
    with pytest.raises(ValidationError, match="exactly one of"):
        GradedLevel.model_validate(
            {"finding": "OSX:a", "label": "a", "above": 2, "above_uln": 2, "source": "PMID:1"}
        )


def test_the_walk_stops_at_the_first_level_not_exceeded() -> None:
    lab = _lab(_level("OSX:a", 20), _level("OSX:b", 100))

    def walk(value: float, flag: str = "high") -> list[tuple[str, bool]]:
        return [(level.finding, above) for level, above in lab.graded_levels(value, flag, 4.0)]

    assert walk(150) == [("OSX:a", True), ("OSX:b", True)]
    assert walk(50) == [("OSX:a", True), ("OSX:b", False)]
    assert walk(8) == [("OSX:a", False)]
    # A value inside the reference range settles no level (the raised term is excluded).
    assert walk(3, "normal") == []


def test_a_first_level_without_a_raised_term_is_judged_at_any_value() -> None:
    lab = _lab(_level("OSX:a", 150, parent=False), high_term=False)
    assert [(lvl.finding, up) for lvl, up in lab.graded_levels(40, "normal", 80)] == [
        ("OSX:a", False)
    ]


def test_every_shipped_level_is_a_finding_implying_the_level_below() -> None:
    kb = load_knowledge()
    levels = [(lab, i, g) for lab in kb.labs for i, g in enumerate(lab.graded)]
    assert {"OSX:psa_above_20", "OSX:psa_above_100", "OSX:tryptase_above_20"} <= {
        g.finding for _, _, g in levels
    }
    for lab, i, level in levels:
        parent = lab.graded_parent(i)
        assert kb.local_findings[level.finding].implies == ((parent,) if parent else ())
