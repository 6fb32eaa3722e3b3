"""The shipped word lists and code sets refer to things that exist elsewhere in the knowledge."""

from __future__ import annotations

from typing import get_args

import pytest

from osteodx.bone._treatment import PriorTherapy
from osteodx.knowledge import hpo_index, load_knowledge, vocabulary
from osteodx.nen._circulating import accepted_factors
from osteodx.nen._load import circulating


def test_every_finding_in_the_vocabulary_is_defined_with_its_label() -> None:
    kb, hpo = load_knowledge(), hpo_index()
    v = vocabulary()
    refs = [*v.marker_confounders.findings, *v.multifocal_findings.findings, v.bone_pain]
    for ref in refs:
        assert kb.finding_label(ref.finding, hpo) == ref.label


def test_confounders_and_markers_name_the_nen_declarations() -> None:
    v = vocabulary()
    assert {c.confounder for c in v.marker_confounders.findings} <= set(accepted_factors())
    markers = {m.id for m in circulating().markers}
    assert set(v.circulating_labs.mapping.values()) <= markers
    labs = {lab.key for lab in load_knowledge().labs}
    assert set(v.circulating_labs.mapping) <= labs


def test_chemotherapies_are_prior_therapies_a_case_can_enter() -> None:
    assert vocabulary().chemotherapy.therapies <= set(get_args(PriorTherapy))


def test_fhir_presence_words_do_not_overlap() -> None:
    p = vocabulary().fhir_presence
    assert not p.absent_words & p.present_words
    assert not p.absent_interpretations & p.present_interpretations


def test_tissue_confirmation_names_a_declared_test_and_real_keys() -> None:
    kb = load_knowledge()
    rule = vocabulary().tissue_confirmation
    assert rule.test in {t.key for t in kb.tests}
    assert set(rule.receptor_retesting) <= set(kb.keys)
    assert rule.groups <= {c.group for c in kb.conditions}


def test_each_confirmatory_test_is_declared_and_can_confirm_its_cause() -> None:
    kb = load_knowledge()
    tests = {t.key: t for t in kb.tests}
    rule = vocabulary().confirmatory_tests
    assert set(rule.tests) <= set(kb.keys)
    for condition, key in rule.tests.items():
        # Some declared result is more likely in this cause than in causes the test does not name.
        assert any(
            o.given[condition].p > o.otherwise.p
            for o in tests[key].outcomes
            if condition in o.given
        ), (condition, key)


def test_a_pattern_that_is_not_a_regular_expression_is_refused_with_its_field() -> None:
    from pydantic import ValidationError

    from osteodx.knowledge._vocabulary import SitePattern

    with pytest.raises(ValidationError, match="pattern"):
        SitePattern(site="colon", pattern="colon(")
