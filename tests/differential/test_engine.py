"""The likelihood-ratio engine, checked by hand on a three-condition test knowledge base."""

from __future__ import annotations

import math

import numpy as np
import pytest

from osteodx.case import ReadingContext, parse_case_form
from osteodx.differential import CompiledKB, explain, score_batch


def _case(ctx: ReadingContext, **fields: object):
    return parse_case_form({"id": "t", "age": 30, "sex": "male", **fields}, "test", ctx)


def test_posterior_equals_hand_computed_bayes(tiny_ctx, tiny_compiled: CompiledKB) -> None:
    """prior x P(finding|k): alpha .5*.8*.6*.95, beta .25*.9*.05*.05, gamma .25*.05*.1*.95.

    Generalized osteosclerosis is below beta's Increased bone mineral density (specific match:
    it counts as the listed term, 0.9) and unlisted for gamma (0.05); the negated exposure is
    1-0.95 for beta, 1-0.05 otherwise.
    """
    case = _case(
        tiny_ctx,
        findings=["Generalized osteosclerosis", "Back pain"],
        notes="No history of magic water.",
    )
    unnormalised = {
        "alpha": 0.5 * 0.8 * 0.6 * 0.95,
        "beta": 0.25 * 0.9 * 0.05 * 0.05,
        "gamma": 0.25 * 0.05 * 0.1 * 0.95,
    }
    total = sum(unnormalised.values())
    result = {d.key: d.posttest for d in explain(case, tiny_compiled).diagnoses}
    for key, value in unnormalised.items():
        assert result[key] == pytest.approx(value / total, rel=1e-9)


def test_contributions_add_up_to_the_posterior(tiny_ctx, tiny_compiled: CompiledKB) -> None:
    case = _case(tiny_ctx, findings=["Patchy osteosclerosis"], excluded=["Back pain"])
    diff = explain(case, tiny_compiled)
    # log10 posterior odds between two diagnoses = prior odds + difference of summed log10 LRs.
    a, b = diff.diagnoses[0], diff.diagnoses[1]
    lhs = math.log10(a.posttest / b.posttest)
    rhs = math.log10(a.pretest / b.pretest) + a.log10_composite_lr - b.log10_composite_lr
    assert lhs == pytest.approx(rhs, abs=1e-9)


def test_excluded_finding_counts_as_one_minus_frequency(tiny_ctx, tiny_compiled) -> None:
    case = _case(tiny_ctx, excluded=["Back pain"])
    diff = {d.key: d for d in explain(case, tiny_compiled).diagnoses}
    back = next(c for c in diff["alpha"].contributions if c.finding_id == "HP:0003418")
    assert back.probability == pytest.approx(0.4)
    assert back.present is False


def test_unmentioned_gate_counts_weakly_against(tiny_ctx, tiny_compiled) -> None:
    case = _case(tiny_ctx, findings=["Increased bone mineral density"])
    beta = next(d for d in explain(case, tiny_compiled).diagnoses if d.key == "beta")
    gate = next(c for c in beta.contributions if c.match == "not_mentioned")
    assert gate.probability == pytest.approx(1 - 0.8 * 0.95)
    assert gate.log10_lr < 0


def test_mentioned_gate_is_not_penalised(tiny_ctx, tiny_compiled) -> None:
    case = _case(tiny_ctx, findings=["Increased bone mineral density"], exposures=["magic water"])
    beta = next(d for d in explain(case, tiny_compiled).diagnoses if d.key == "beta")
    assert all(c.match != "not_mentioned" for c in beta.contributions)
    assert beta.rank == 1


@pytest.mark.parametrize("term", ["Splenomegaly", "Hepatosplenomegaly"])
def test_term_that_answers_a_gate_lifts_its_silence(tiny_ctx, tiny_compiled, term) -> None:
    # The fixture's exposure is answered_by Splenomegaly: mentioning it, or a term below it,
    # means the case is not silent about the exposure.
    case = _case(tiny_ctx, findings=["Increased bone mineral density", term])
    beta = next(d for d in explain(case, tiny_compiled).diagnoses if d.key == "beta")
    assert all(c.match != "not_mentioned" for c in beta.contributions)


def test_an_excluded_answering_term_keeps_the_silence(tiny_ctx, tiny_compiled) -> None:
    case = _case(tiny_ctx, findings=["Increased bone mineral density"], excluded=["Splenomegaly"])
    beta = next(d for d in explain(case, tiny_compiled).diagnoses if d.key == "beta")
    assert any(c.match == "not_mentioned" for c in beta.contributions)


def test_term_above_an_answering_term_keeps_the_silence(tiny_ctx, tiny_compiled) -> None:
    # Abnormal spleen morphology is broader than Splenomegaly and does not answer the exposure.
    case = _case(
        tiny_ctx, findings=["Increased bone mineral density", "Abnormal spleen morphology"]
    )
    beta = next(d for d in explain(case, tiny_compiled).diagnoses if d.key == "beta")
    assert any(c.match == "not_mentioned" for c in beta.contributions)


def test_patient_term_above_condition_term_matches_as_broader(tiny_ctx, tiny_compiled) -> None:
    # Increased bone mineral density is an ancestor of alpha's Generalized osteosclerosis.
    case = _case(tiny_ctx, findings=["Increased bone mineral density"])
    alpha = next(d for d in explain(case, tiny_compiled).diagnoses if d.key == "alpha")
    c = next(c for c in alpha.contributions if c.finding_id == "HP:0011001")
    assert c.match == "broader"
    assert c.matched_id == "HP:0005789"


def test_batch_and_single_rankings_agree(tiny_ctx, tiny_compiled) -> None:
    cases = [
        _case(tiny_ctx, findings=["Generalized osteosclerosis"]),
        _case(tiny_ctx, findings=["Patchy osteosclerosis", "Back pain"]),
        _case(tiny_ctx, findings=["Increased bone mineral density"], exposures=["magic water"]),
    ]
    batch = score_batch(cases, tiny_compiled)
    for row, case in zip(batch, cases, strict=True):
        single = {d.key: d.posttest for d in explain(case, tiny_compiled).diagnoses}
        assert np.allclose(row, [single[k] for k in tiny_compiled.keys])


def test_case_without_sclerotic_finding_is_out_of_scope(tiny_ctx, tiny_compiled) -> None:
    diff = explain(_case(tiny_ctx, findings=["Back pain"]), tiny_compiled)
    assert diff.in_scope is False
    assert "no sclerotic bone finding" in diff.scope_reason


def test_unknown_age_and_sex_average_the_priors(tiny_ctx, tiny_compiled) -> None:
    case = parse_case_form({"id": "t", "findings": ["Back pain"]}, "test", tiny_ctx)
    diff = explain(case, tiny_compiled)
    assert sum(d.pretest for d in diff.diagnoses) == pytest.approx(1.0)


def test_a_more_specific_term_counts_as_the_listed_term_and_never_less() -> None:
    """A case coded with a descendant of a listed term ranks the condition as the listed term
    does (the real knowledge base: Polyneuropathy is below Peripheral neuropathy, which POEMS
    lists)."""
    import osteodx
    from osteodx.case import parse_case_form

    def posterior(term: str) -> float:
        case = parse_case_form(
            {"id": "x", "age": 50, "sex": "male", "findings": [term, "Patchy osteosclerosis"]}, "f"
        )
        line = osteodx.ranking_line(case)
        return next(r["probability"] for r in line["ranking"] if r["key"] == "poems_syndrome")

    assert posterior("Polyneuropathy") >= posterior("Peripheral neuropathy") - 1e-9


def test_excluding_a_specific_form_weighs_less_than_excluding_the_listed_term() -> None:
    from osteodx.differential import compiled_kb

    kb = compiled_kb()
    k = kb.keys.index("poems_syndrome")
    specific = kb.evidence("HP:0001271", False).probability[k]  # Polyneuropathy excluded
    listed = kb.evidence("HP:0009830", False).probability[k]  # Peripheral neuropathy excluded
    assert specific > listed


def test_a_specific_term_takes_the_background_of_its_broader_declared_finding() -> None:
    from osteodx.differential import compiled_kb

    kb = compiled_kb()
    # Polyneuropathy has no background of its own; Peripheral neuropathy has an age-banded one.
    assert kb.unlisted_entry("HP:0001271") is kb.knowledge.unlisted["HP:0009830"]


def test_an_age_band_value_is_shown_as_our_judgement_not_the_base_record() -> None:
    from osteodx.case import parse_case_form
    from osteodx.differential import explain

    case = parse_case_form(
        {"id": "c", "age": 4, "sex": "male", "findings": ["Generalized osteosclerosis", "Anemia"]},
        "f",
    )
    osteopetrosis = next(d for d in explain(case).diagnoses if d.key == "osteopetrosis")
    anemia = next(c for c in osteopetrosis.contributions if c.finding_id == "HP:0001903")
    from osteodx.knowledge import load_knowledge

    findings = load_knowledge().condition("osteopetrosis").findings
    base = next(f for f in findings if f.finding == "HP:0001903")
    assert anemia.probability == base.by_age["child"] != base.frequency
    assert anemia.support is not None and anemia.support.kind == "judgement"
    assert anemia.source is None and anemia.estimate
