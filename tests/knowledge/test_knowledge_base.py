"""The shipped knowledge base: complete, valid, and every number sourced."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from osteodx.knowledge import Knowledge, KnowledgeError, load_knowledge, load_knowledge_from

DATA = Path(__file__).parents[2] / "src" / "osteodx" / "knowledge" / "data"
# Keys whose numbers are structural, not medical facts (ages bounding a reference range).
STRUCTURAL = {"age_min", "age_max"}


def _numbers_without_source(node: Any, path: str, sourced: bool) -> list[str]:
    """Paths of numbers with no `source` in their own mapping or an enclosing one."""
    missing: list[str] = []
    if isinstance(node, dict):
        # A measurement of ours carries the command that reproduces it (calibration.yaml).
        here = (
            sourced
            or "source" in node
            or "evidence" in node
            or bool(node.get("estimate"))
            or "command" in node
        )
        for key, value in node.items():
            if key in STRUCTURAL:
                continue
            missing += _numbers_without_source(value, f"{path}.{key}", here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            missing += _numbers_without_source(value, f"{path}[{i}]", sourced)
    elif isinstance(node, int | float) and not isinstance(node, bool) and not sourced:
        missing.append(path)
    return missing


def _all_data_files() -> list[Path]:
    return sorted(p for p in DATA.rglob("*.yaml"))


def test_every_diagnosis_key_has_a_condition_file() -> None:
    with (DATA / "conditions.tsv").open(encoding="utf-8") as fh:
        keys = [row["key"] for row in csv.DictReader(fh, delimiter="\t")]
    assert len(keys) == 33
    assert sorted(load_knowledge().keys) == sorted(keys)


@pytest.mark.parametrize("path", _all_data_files(), ids=lambda p: p.name)
def test_every_number_in_the_knowledge_base_has_a_source(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert _numbers_without_source(data, path.name, False) == []


def test_source_walker_finds_an_unsourced_number() -> None:
    data = {"findings": [{"finding": "HP:1", "frequency": 0.3}]}
    assert _numbers_without_source(data, "x", False) == ["x.findings[0].frequency"]


def test_estimates_say_what_they_rest_on() -> None:
    kb = load_knowledge()
    for condition in kb.conditions:
        for f in condition.findings:
            if f.estimate:
                assert f.basis and len(f.basis) > 10, (condition.key, f.finding)


def test_each_condition_has_a_prior_for_every_band_and_sex() -> None:
    kb = load_knowledge()
    for condition in kb.conditions:
        assert set(condition.prior.weights) == {"child", "young_adult", "adult", "older"}


def _copy_tiny_kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "kb", root)
    return root


def _load_edited(tmp_path: Path, file: str, old: str, new: str, count: int = -1) -> Knowledge:
    """Load a copy of the test knowledge base with one text replaced in one of its files."""
    root = _copy_tiny_kb(tmp_path)
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text  # the edit must change something for the test to mean anything
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return load_knowledge_from(root)


JUDGEMENT = "evidence: {kind: judgement, reasoning: a round number for checking the arithmetic}}"


def test_loader_rejects_a_frequency_without_evidence(tmp_path: Path) -> None:
    with pytest.raises(
        KnowledgeError,
        match=r"conditions/alpha.yaml: 1 problem:\n  findings\[0\] \(HP:0005789\)\.evidence"
        r" \(line \d+\): Field required",
    ):
        _load_edited(tmp_path, "conditions/alpha.yaml", ", " + JUDGEMENT, "}", 1)


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        # a kind outside the three
        ("evidence: {kind: estimate, reasoning: x}}", "kind"),
        # a judgement citing a source must quote the fact it rests on
        ("evidence: {kind: judgement, reasoning: because, citation: PMID:1}}", "quoted fact"),
        # a count must give k of n, its population and a quote
        ("evidence: {kind: count, k: 8, n: 10, citation: PMID:1}}", "population"),
        # k/n = 0.5 does not support 0.8 without a stated conversion
        (
            "evidence: {kind: count, k: 5, n: 10, population: adults, quote: five of ten, "
            "citation: PMID:1}}",
            "not what its count says",
        ),
        # 'Occasional' (5-29 %) does not support 0.8
        (
            "evidence: {kind: statement, quote: sometimes, scale: HP:0040283, citation: PMID:1}}",
            "not what its statement says",
        ),
        # a statement maps through an HPO frequency term only
        (
            "evidence: {kind: statement, quote: often, scale: HP:0000001, citation: PMID:1}}",
            "HPO frequency term",
        ),
        # an aggregator is refused, naming the deny-list entry
        (
            "evidence: {kind: count, k: 8, n: 10, population: adults, quote: eight of ten, "
            "citation: 'https://www.scilit.net/article/1'}}",
            "deny-list",
        ),
        # a paper is cited by PMID, PMC or DOI, not by a publisher page
        (
            "evidence: {kind: count, k: 8, n: 10, population: adults, quote: eight of ten, "
            "citation: 'https://example.org/paper'}}",
            "not a PMID",
        ),
    ],
)
def test_loader_refuses_evidence_that_does_not_carry_its_number(
    tmp_path: Path, evidence: str, message: str
) -> None:
    with pytest.raises(KnowledgeError, match=message):
        _load_edited(tmp_path, "conditions/alpha.yaml", JUDGEMENT, evidence, 1)


@pytest.mark.parametrize(
    "evidence",
    [
        "evidence: {kind: count, k: 8, n: 10, population: adults, quote: eight of ten, "
        "citation: PMID:1}}",
        "evidence: {kind: count, k: 1, n: 2, population: adults, quote: one of two, "
        "citation: PMID:1, conversion: converted for the modelled population}}",
        "evidence: {kind: statement, quote: usually, scale: HP:0040281, citation: PMC123}}",
        "evidence: {kind: judgement, reasoning: because, citation: "
        "'https://www.ncbi.nlm.nih.gov/books/NBK1/', quote: the fact}}",
    ],
)
def test_loader_accepts_each_kind_that_carries_its_number(tmp_path: Path, evidence: str) -> None:
    kb = _load_edited(tmp_path, "conditions/alpha.yaml", JUDGEMENT, evidence, 1)
    finding = kb.condition("alpha").findings[0]
    assert finding.frequency == 0.8 and finding.evidence.kind in evidence


def test_loader_rejects_a_wrong_hpo_label(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="should be 'Back pain'"):
        _load_edited(tmp_path, "conditions/alpha.yaml", "label: Back pain", "label: Sore back")


def test_loader_rejects_an_undefined_local_finding(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="OSX:nowhere is not defined"):
        _load_edited(tmp_path, "conditions/beta.yaml", "OSX:test_exposure", "OSX:nowhere")


def test_loader_rejects_an_unknown_answering_term(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="answered_by HP:9999999"):
        _load_edited(
            tmp_path, "findings/test.yaml", "answered_by: [HP:0001744]", "answered_by: [HP:9999999]"
        )


def test_loader_rejects_answering_terms_on_a_finding_whose_silence_does_not_count(
    tmp_path: Path,
) -> None:
    with pytest.raises(KnowledgeError, match="only an exposure or history item"):
        _load_edited(tmp_path, "findings/test.yaml", "category: exposure", "category: imaging")


def test_loader_rejects_an_exception_that_is_not_below_an_answering_term(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="not below any of its answered_by terms"):
        _load_edited(
            tmp_path,
            "findings/test.yaml",
            "answered_by: [HP:0001744]",
            "answered_by: [HP:0001744]\n    not_answered_by: [HP:0002240]",  # Hepatomegaly
        )


def test_a_project_document_is_never_an_evidence_citation(tmp_path: Path) -> None:
    evidence = (
        "evidence: {kind: statement, quote: usually, scale: HP:0040281, citation: docs/x.md}}"
    )
    with pytest.raises(KnowledgeError, match="not a PMID"):
        _load_edited(tmp_path, "conditions/alpha.yaml", JUDGEMENT, evidence, 1)


def test_an_hpo_phrase_entry_without_any_phrase_is_refused() -> None:
    from pydantic import ValidationError

    from osteodx.knowledge._schema import HpoPhrases

    with pytest.raises(ValidationError, match="give phrases or absent_phrases"):
        HpoPhrases(id="HP:0002653", label="Bone pain")
