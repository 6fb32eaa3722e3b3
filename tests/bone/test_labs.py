"""Laboratory cut-offs declared on a score item (``derive_from_labs``) and the value they give.

The Katagiri laboratory cut-offs are those of the reproduced item table (reference section 5.1,
Katagiri 2014, DOI 10.1002/cam4.292, unverified there); the tests read them from the declaration
and never repeat them, except where they check the conversion from the published units.
"""

from __future__ import annotations

import copy
import re
from importlib import resources
from typing import Any

import pytest
import yaml

from osteodx.bone import (
    BoneDataError,
    LabCutoff,
    LabDerivation,
    ScoreDeclaration,
    item_from_labs,
    score_declaration,
)
from osteodx.bone._load import _validate
from osteodx.case._units import convert
from osteodx.knowledge import load_knowledge

WHERE = "bone/scores/katagiri.yaml"
RULE_LOC = "items[2] (lab).derive_from_labs"
RULE_RE = re.escape(RULE_LOC)


def _raw() -> dict[str, Any]:
    text = resources.files("osteodx.bone").joinpath("scores", "katagiri.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    assert data["items"][2]["name"] == "lab"
    return data


def _rule(decl: ScoreDeclaration) -> LabDerivation:
    rule = next(i for i in decl.items if i.name == "lab").derive_from_labs
    assert rule is not None
    return rule


def _cut_offs(rule: LabDerivation) -> list[tuple[str, LabCutoff]]:
    return [(level.value, c) for level in rule.levels for c in level.any_of]


def _normal(rule: LabDerivation) -> dict[str, float]:
    """A value on the unmet side of every declared cut-off (10 % away from each threshold)."""
    out: dict[str, float] = {}
    for _, c in _cut_offs(rule):
        out[c.lab] = c.threshold * (1.1 if c.comparison in ("lt", "le") else 0.9)
    return out


KATAGIRI = _rule(score_declaration("katagiri"))
CUT_IDS = [f"{level}-{c.lab}" for level, c in _cut_offs(KATAGIRI)]


# --- the declaration ---------------------------------------------------------------------------


def test_katagiri_declares_the_six_laboratory_cut_offs_worst_level_first() -> None:
    assert [level.value for level in KATAGIRI.levels] == ["critical", "abnormal"]
    assert KATAGIRI.otherwise == "normal"
    assert KATAGIRI.labs == ("platelets", "calcium", "bilirubin", "crp", "ldh", "albumin")


@pytest.mark.parametrize(("level", "cut"), _cut_offs(KATAGIRI), ids=CUT_IDS)
def test_every_cut_off_is_in_the_canonical_unit_of_its_lab_in_the_knowledge_base(
    level: str, cut: LabCutoff
) -> None:
    units = {lab.key: lab.unit for lab in load_knowledge().labs}
    assert cut.unit == units[cut.lab], (level, cut.lab)


@pytest.mark.parametrize(("level", "cut"), _cut_offs(KATAGIRI), ids=CUT_IDS)
def test_every_cut_off_is_the_published_one_converted_to_the_canonical_unit(
    level: str, cut: LabCutoff
) -> None:
    """Reference 5.1 prints CRP in mg/dL and platelets per uL; labs.yaml holds mg/L and 10*9/L."""
    assert cut.published is not None, (level, cut.lab)
    molar = next(lab.molar_mass_g_per_mol for lab in load_knowledge().labs if lab.key == cut.lab)
    converted = convert(cut.published.threshold, cut.published.unit, cut.unit, molar)
    assert converted == pytest.approx(cut.threshold), (level, cut.lab)


def test_cut_offs_carry_the_item_source_and_its_unverified_flag() -> None:
    item = next(i for i in score_declaration("katagiri").items if i.name == "lab")
    for _, cut in _cut_offs(KATAGIRI):
        assert cut.source == item.source
        assert cut.unverified and item.unverified
        assert not cut.estimate


# --- the loader refuses a malformed block, naming the field --------------------------------------


def _cut(raw: dict[str, Any]) -> dict[str, Any]:
    """The calcium cut-off of the raw declaration (critical level, second cut-off)."""
    cut: dict[str, Any] = raw["items"][2]["derive_from_labs"]["levels"][0]["any_of"][1]
    assert cut["lab"] == "calcium"
    return cut


def test_loader_refuses_a_cut_off_not_in_the_canonical_unit_and_names_the_unit_to_use() -> None:
    raw = _raw()
    _cut(raw)["unit"] = "mmol/L"
    with pytest.raises(BoneDataError) as exc:
        _validate(raw, ScoreDeclaration, WHERE)
    message = str(exc.value)
    assert message.startswith(f"{WHERE}: 1 problem:\n  {RULE_LOC}.levels[0].any_of[1].unit")
    assert "'mmol/L' is not the canonical unit of calcium" in message
    assert "'mg/dL'" in message


def test_loader_refuses_a_lab_that_is_not_in_the_knowledge_base() -> None:
    raw = _raw()
    _cut(raw)["lab"] = "serum_calcium"
    with pytest.raises(BoneDataError) as exc:
        _validate(raw, ScoreDeclaration, WHERE)
    message = str(exc.value)
    assert f"{RULE_LOC}.levels[0].any_of[1].lab" in message
    assert "'serum_calcium' is not an analyte" in message and "calcium" in message


@pytest.mark.parametrize(
    ("field", "bad", "loc", "words"),
    [
        ("comparison", ">=", "levels[0].any_of[1].comparison", "'lt', 'le', 'gt' or 'ge'"),
        ("threshold", "high", "levels[0].any_of[1].threshold", "valid number"),
        ("threshold", None, "levels[0].any_of[1].threshold", "valid number"),
        ("source", "Katagiri 2014", "levels[0].any_of[1].source", "does not start with"),
        ("typo", 1, "levels[0].any_of[1].typo", "Extra inputs"),
    ],
)
def test_loader_refuses_a_malformed_cut_off_and_names_the_field(
    field: str, bad: object, loc: str, words: str
) -> None:
    raw = _raw()
    _cut(raw)[field] = bad
    with pytest.raises(BoneDataError) as exc:
        _validate(raw, ScoreDeclaration, WHERE)
    assert f"{RULE_LOC}.{loc}" in str(exc.value) and str(exc.value).startswith(WHERE)
    assert words in str(exc.value)


@pytest.mark.parametrize("field", ["lab", "comparison", "threshold", "unit"])
def test_loader_refuses_a_cut_off_missing_a_field_and_names_it(field: str) -> None:
    raw = _raw()
    del _cut(raw)[field]
    with pytest.raises(
        BoneDataError, match=rf"{RULE_RE}\.levels\[0\]\.any_of\[1\]\.{field}: Field"
    ):
        _validate(raw, ScoreDeclaration, WHERE)


def test_loader_refuses_a_published_cut_off_without_its_source() -> None:
    raw = _raw()
    del _cut(raw)["source"]
    with pytest.raises(BoneDataError, match=r"a published fact needs its 'source'"):
        _validate(raw, ScoreDeclaration, WHERE)


def test_loader_refuses_a_level_or_fallback_value_the_item_does_not_declare() -> None:
    raw = _raw()
    raw["items"][2]["derive_from_labs"]["levels"][1]["value"] = "raised"
    with pytest.raises(
        BoneDataError, match=r"items\[2\][^:]*: .*derive_from_labs names value 'raised'"
    ):
        _validate(raw, ScoreDeclaration, WHERE)
    raw = _raw()
    raw["items"][2]["derive_from_labs"]["otherwise"] = "critical"
    with pytest.raises(BoneDataError, match=r"items\[2\][^:]*: .*derive_from_labs repeats a value"):
        _validate(raw, ScoreDeclaration, WHERE)


def test_loader_refuses_a_level_without_cut_offs_or_with_a_lab_twice() -> None:
    raw = _raw()
    raw["items"][2]["derive_from_labs"]["levels"][0]["any_of"] = []
    with pytest.raises(BoneDataError, match=rf"{RULE_RE}\.levels\[0\]\.any_of: "):
        _validate(raw, ScoreDeclaration, WHERE)
    raw = _raw()
    level = raw["items"][2]["derive_from_labs"]["levels"][0]
    level["any_of"].append(copy.deepcopy(level["any_of"][0]))
    with pytest.raises(BoneDataError, match=rf"{RULE_RE}\.levels\[0\]: .*listed twice"):
        _validate(raw, ScoreDeclaration, WHERE)


def test_loader_refuses_lab_cut_offs_on_a_number_item() -> None:
    raw = _raw()
    raw["items"][3]["derive_from_labs"] = raw["items"][2].pop("derive_from_labs")
    with pytest.raises(
        BoneDataError, match=r"items\[3\][^:]*: .*derive_from_labs belongs to choice"
    ):
        _validate(raw, ScoreDeclaration, WHERE)


# --- the value the labs give ---------------------------------------------------------------------


def test_all_labs_on_the_unmet_side_give_the_fallback_value() -> None:
    r = item_from_labs(KATAGIRI, _normal(KATAGIRI))
    assert r is not None and r.value == "normal"
    assert r.reason == "all six laboratory values measured and within the cut-offs"
    assert r.source == "DOI:10.1002/cam4.292; PMID:25044999"


@pytest.mark.parametrize(("level", "cut"), _cut_offs(KATAGIRI), ids=CUT_IDS)
def test_each_declared_cut_off_switches_the_value_exactly_at_its_threshold(
    level: str, cut: LabCutoff
) -> None:
    labs = _normal(KATAGIRI)
    labs[cut.lab] = cut.threshold
    at = item_from_labs(KATAGIRI, labs)
    assert at is not None
    assert at.value == (level if cut.comparison in ("le", "ge") else "normal")
    toward = -0.01 if cut.comparison in ("lt", "le") else 0.01
    labs[cut.lab] = cut.threshold * (1 + toward)
    beyond = item_from_labs(KATAGIRI, labs)
    assert beyond is not None and beyond.value == level
    assert beyond.reason.startswith(f"measured {cut.lab} beyond the {level} cut-off")
    labs[cut.lab] = cut.threshold * (1 - toward)
    within = item_from_labs(KATAGIRI, labs)
    assert within is not None and within.value == "normal"


def test_the_worst_level_met_wins_and_names_every_lab_beyond_it() -> None:
    labs = _normal(KATAGIRI)
    for _, cut in _cut_offs(KATAGIRI):
        labs[cut.lab] = cut.threshold * (0.5 if cut.comparison in ("lt", "le") else 2)
    r = item_from_labs(KATAGIRI, labs)
    assert r is not None and r.value == "critical"
    assert r.reason == "measured platelets, calcium, bilirubin beyond the critical cut-off"


def test_a_lower_level_says_that_no_worse_value_was_met() -> None:
    labs = _normal(KATAGIRI)
    labs["ldh"] = next(c for _, c in _cut_offs(KATAGIRI) if c.lab == "ldh").threshold * 2
    r = item_from_labs(KATAGIRI, labs)
    assert r is not None and r.value == "abnormal"
    assert r.reason == "measured ldh beyond the abnormal cut-off; no critical value"


@pytest.mark.parametrize("missing", KATAGIRI.labs)
def test_a_missing_lab_leaves_the_item_open_unless_a_worse_level_is_already_met(
    missing: str,
) -> None:
    labs = _normal(KATAGIRI)
    del labs[missing]
    assert item_from_labs(KATAGIRI, labs) is None
    platelets = next(c for _, c in _cut_offs(KATAGIRI) if c.lab == "platelets")
    if missing != "platelets":
        labs["platelets"] = platelets.threshold / 2
        r = item_from_labs(KATAGIRI, labs)
        assert r is not None and r.value == "critical"


def test_a_modified_declaration_moves_the_cut_off_the_value_follows() -> None:
    """The thresholds are read from the declaration: raising LDH's cut-off changes the answer."""
    labs = _normal(KATAGIRI)
    ldh = next(c for _, c in _cut_offs(KATAGIRI) if c.lab == "ldh")
    labs["ldh"] = ldh.threshold * 1.5
    shipped = item_from_labs(KATAGIRI, labs)
    assert shipped is not None and shipped.value == "abnormal"

    raw = _raw()
    raw_ldh = raw["items"][2]["derive_from_labs"]["levels"][1]["any_of"][1]
    assert raw_ldh["lab"] == "ldh"
    raw_ldh["threshold"] = ldh.threshold * 2
    modified = _rule(_validate(raw, ScoreDeclaration, WHERE))
    moved = item_from_labs(modified, labs)
    assert moved is not None and moved.value == "normal"
