"""Evidence records and citations: what a number may rest on."""

from __future__ import annotations

import pytest

from osteodx.differential._compiled import compiled_kb
from osteodx.knowledge._evidence import (
    FREQUENCY_SCALE,
    Count,
    Judgement,
    Statement,
    Support,
    check_citation,
    citation_form,
)
from osteodx.knowledge._hpo import hpo_index
from osteodx.knowledge._schema import AGE_BANDS


@pytest.mark.parametrize(
    ("citation", "form"),
    [
        ("PMID:12345678", "pmid"),
        ("PMC1234567", "pmc"),
        ("DOI:10.1182/blood-2002-07-2299", "doi"),
        ("https://www.ncbi.nlm.nih.gov/books/NBK1156/", "reference"),
        ("https://www.orpha.net/en/disease/detail/2905", "reference"),
        ("https://discovery.researcher.life/article/x", "denied"),
        ("https://www.droracle.ai/articles/1", "denied"),
        ("http://47.251.13.51:8081/39682238", "denied"),
        ("https://www.example.org/paper", "other_url"),
        ("https://omim.org.evil.example/entry/1", "other_url"),
        ("https://evil.example/.who.int/x", "other_url"),
        ("https://webcache.example/https://www.ncbi.nlm.nih.gov/books/NBK1/", "other_url"),
        ("https://omim.org@evil.example/", "other_url"),
        ("https://www.ncbi.nlm.nih.gov/pubmed/1", "other_url"),
    ],
)
def test_citation_forms(citation: str, form: str) -> None:
    assert citation_form(citation) == form


@pytest.mark.parametrize(
    "citation",
    ["https://scilit.net/x", "https://example.org/x", "PMID:abc", "docs/model.md#x", "Smith 2001"],
)
def test_a_citation_that_is_not_evidence_is_refused(citation: str) -> None:
    with pytest.raises(ValueError):
        check_citation(citation)


def test_the_frequency_scale_is_hpo_s_own_terms() -> None:
    hpo = hpo_index()
    for term in FREQUENCY_SCALE.values():
        assert hpo.name(term.id) == term.label


def test_a_count_supports_its_own_proportion_and_a_conversion_anything() -> None:
    count = Count(kind="count", k=29, n=99, population="POEMS", quote="29 of 99", citation="PMID:1")
    assert count.supports(0.29) and not count.supports(0.5)
    converted = count.model_copy(update={"conversion": "only patients with sclerotic lesions"})
    assert converted.supports(0.5)


def test_a_statement_supports_the_range_of_its_hpo_term() -> None:
    rare = Statement(kind="statement", quote="rare", scale="HP:0040284", citation="PMID:1")
    assert rare.supports(0.03) and not rare.supports(0.2)


def test_the_support_shown_to_a_reader_names_the_kind() -> None:
    count = Count(
        kind="count",
        k=3,
        n=27,
        population="NEN bone metastases",
        quote="3 mixed",
        citation="PMID:1",
    )
    assert Support.of(count).label == "count 3/27"
    judged = Judgement(kind="judgement", reasoning="no series found")
    assert Support.of(judged).label == "judgement" and Support.of(judged).citation is None


def test_an_age_banded_background_follows_the_patients_age() -> None:
    kb = compiled_kb()
    entry = kb.knowledge.unlisted["HP:0000365"]  # Hearing impairment
    young, older = AGE_BANDS.index("young_adult"), AGE_BANDS.index("older")
    assert kb.unlisted_frequency("HP:0000365", older) > kb.unlisted_frequency("HP:0000365", young)
    assert entry.by_age["older"].evidence.kind in ("count", "statement")


def test_a_laboratory_catalogue_is_accepted_for_reference_facts_only() -> None:
    assert citation_form("https://mml.testcatalog.org/show/CGA") == "laboratory"
    with pytest.raises(ValueError):
        check_citation("https://mml.testcatalog.org/show/CGA")
