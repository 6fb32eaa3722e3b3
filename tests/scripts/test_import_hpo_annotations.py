"""The HPO-annotation importer: which annotation rows back a genetic frequency, and how."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    "#version: 2025-01-16\n"
    "database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\t"
    "modifier\taspect\tbiocuration\n"
)


def _importer() -> ModuleType:
    path = ROOT / "scripts" / "import_hpo_annotations.py"
    spec = importlib.util.spec_from_file_location("import_hpo_annotations", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


importer = _importer()


def _row(disease: str, hpo: str, frequency: str, qualifier: str = "") -> str:
    fields = [
        disease,
        "Test disease",
        qualifier,
        hpo,
        "PMID:1",
        "PCS",
        "",
        frequency,
        "",
        "",
        "P",
        "",
    ]
    return "\t".join(fields) + "\n"


def _data(
    tmp_path: Path, xrefs: str, findings: list[dict[str, object]], key: str = "dysplasia"
) -> Path:
    data = tmp_path / "data"
    (data / "conditions").mkdir(parents=True)
    (data / "conditions.tsv").write_text(
        "key\tname\tgroup\torpha\tomim\tmondo\ticd10\tgenes\tnotes\n"
        f"{key}\tTest dysplasia\tgenetic\t{xrefs}\t\t\t\t\n",
        encoding="utf-8",
    )
    condition = {"key": key, "findings": findings}
    (data / "conditions" / f"{key}.yaml").write_text(yaml.safe_dump(condition), "utf-8")
    return data


def _judged(hpo: str, frequency: float, **extra: object) -> dict[str, object]:
    return {
        "finding": hpo,
        "label": hpo,
        "frequency": frequency,
        "evidence": {"kind": "judgement", "reasoning": "x"},
        **extra,
    }


def _run(
    tmp_path: Path,
    xrefs: str,
    rows: str,
    findings: list[dict[str, object]],
    key: str = "dysplasia",
) -> list[dict]:
    data = _data(tmp_path, xrefs, findings, key)
    hpoa = tmp_path / "phenotype.hpoa"
    hpoa.write_text(HEADER + rows, encoding="utf-8")
    importer.import_annotations(hpoa, data)
    return yaml.safe_load((data / "conditions" / f"{key}.yaml").read_text("utf-8"))["findings"]


def test_counts_of_one_disease_are_summed_into_a_count(tmp_path: Path) -> None:
    rows = _row("ORPHA:1", "HP:0002653", "3/4") + _row("ORPHA:1", "HP:0002653", "1/4")
    rows += _row("ORPHA:1", "HP:0002653", "1/4")
    (f,) = _run(tmp_path, "ORPHA:1", rows, [_judged("HP:0002653", 0.3)])
    assert f["frequency"] == 0.417
    assert (f["evidence"]["kind"], f["evidence"]["k"], f["evidence"]["n"]) == ("count", 5, 12)
    assert f["evidence"]["citation"] == "https://hpo.jax.org/browse/disease/ORPHA:1"


def test_a_frequency_term_becomes_a_statement_inside_its_range(tmp_path: Path) -> None:
    rows = _row("ORPHA:1", "HP:0002653", "HP:0040283")  # Occasional, 5-29 %
    (f,) = _run(tmp_path, "ORPHA:1", rows, [_judged("HP:0002653", 0.6)])
    assert f["evidence"]["kind"] == "statement" and f["evidence"]["scale"] == "HP:0040283"
    assert f["frequency"] == 0.29


def test_a_not_annotation_alone_is_excluded(tmp_path: Path) -> None:
    rows = _row("ORPHA:1", "HP:0002653", "", qualifier="NOT")
    (f,) = _run(tmp_path, "ORPHA:1", rows, [_judged("HP:0002653", 0.2)])
    assert f["evidence"]["scale"] == "HP:0040285" and f["frequency"] == 0.01


def test_rows_without_a_figure_and_age_specific_findings_are_left_alone(tmp_path: Path) -> None:
    rows = _row("ORPHA:1", "HP:0002653", "") + _row("ORPHA:1", "HP:0001250", "2/2")
    findings = [_judged("HP:0002653", 0.2), _judged("HP:0001250", 0.2, by_age={"child": 0.5})]
    assert all(
        f["evidence"]["kind"] == "judgement" for f in _run(tmp_path, "ORPHA:1", rows, findings)
    )


def test_a_key_of_several_types_takes_its_first_type_and_says_so(tmp_path: Path) -> None:
    rows = _row("ORPHA:1", "HP:0002653", "HP:0040282") + _row("ORPHA:2", "HP:0002716", "HP:0040281")
    findings = [_judged("HP:0002653", 0.5), _judged("HP:0002716", 0.03)]
    first, second = _run(tmp_path, "ORPHA:1;ORPHA:2;ORPHA:3", rows, findings, key="osteopetrosis")
    assert (
        first["evidence"]["kind"] == "statement"
        and "ORPHA:1 alone" in first["evidence"]["conversion"]
    )
    assert second["evidence"]["kind"] == "judgement" and second["frequency"] == 0.03


def test_the_shipped_knowledge_loads_after_the_import() -> None:
    from osteodx.knowledge import load_knowledge

    kb = load_knowledge()
    backed = [
        f
        for c in kb.conditions
        for f in c.findings
        if f.evidence.citation and "hpo.jax.org/browse/disease" in f.evidence.citation
    ]
    assert backed and all(f.evidence.kind in ("count", "statement") for f in backed)


def test_one_disease_with_several_ids_takes_each_id_without_a_conversion(tmp_path: Path) -> None:
    rows = _row("ORPHA:2", "HP:0002716", "HP:0040281")
    (f,) = _run(tmp_path, "ORPHA:1;ORPHA:2;ORPHA:3", rows, [_judged("HP:0002716", 0.5)])
    assert f["evidence"]["kind"] == "statement" and "conversion" not in f["evidence"]


def test_a_count_from_fewer_than_five_patients_is_not_used(tmp_path: Path) -> None:
    rows = _row("ORPHA:1", "HP:0002653", "1/1")
    (f,) = _run(tmp_path, "ORPHA:1", rows, [_judged("HP:0002653", 0.3)])
    assert f["evidence"]["kind"] == "judgement" and f["frequency"] == 0.3


@pytest.mark.parametrize(
    ("fraction", "term"),
    [
        (0.045, "HP:0040284"),
        (0.295, "HP:0040283"),
        (0.795, "HP:0040282"),
        (5 / 17, "HP:0040283"),
        (0.0, "HP:0040285"),
        (1.0, "HP:0040280"),
    ],
)
def test_every_fraction_falls_in_one_frequency_band(fraction: float, term: str) -> None:
    assert importer._term_for(fraction) == term
