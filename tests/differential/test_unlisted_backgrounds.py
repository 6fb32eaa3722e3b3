"""Backgrounds declared in unlisted.yaml are used and explained with their own source."""

from __future__ import annotations

import pytest

from osteodx.case import parse_case_form
from osteodx.differential import explain
from osteodx.differential._compiled import compiled_kb


def test_an_unlisted_finding_is_explained_with_its_declared_background_and_source() -> None:
    kb = compiled_kb()
    declared = kb.knowledge.unlisted["HP:0025020"]
    case = parse_case_form(
        {
            "id": "t",
            "age": 70,
            "sex": "male",
            "findings": ["Patchy osteosclerosis", "Elevated prostate-specific antigen level"],
        },
        "test",
    )
    paget = next(d for d in explain(case).diagnoses if d.key == "paget_disease")
    row = next(c for c in paget.contributions if c.finding_id == "HP:0025020")
    assert row.match == "unlisted"
    assert row.probability == pytest.approx(declared.frequency)
    assert row.source == declared.source
    assert row.estimate is declared.estimate


def test_a_finding_without_a_declared_background_cites_the_engine_default() -> None:
    kb = compiled_kb()
    assert "HP:0012735" not in kb.knowledge.unlisted
    case = parse_case_form(
        {"id": "t", "age": 12, "sex": "male", "findings": ["Cough", "Patchy osteosclerosis"]},
        "test",
    )
    rows = [
        next(c for c in d.contributions if c.finding_id == "HP:0012735")
        for d in explain(case).diagnoses
    ]
    unlisted = [row for row in rows if row.match == "unlisted"]
    assert unlisted, "some cause should leave cough unlisted"
    for row in unlisted:
        assert row.probability == pytest.approx(kb.default)
        assert row.source == kb.knowledge.priors.settings["unlisted_frequency"].source
