"""GA4GH Phenopacket v2 reader: subject, features, measurements, diseases, actions, text, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from osteodx.case import CaseInputError, Sex, parse_phenopacket, read_case


def _packet(**extra):
    base = {
        "id": "p1",
        "subject": {
            "id": "s1",
            "sex": "FEMALE",
            "timeAtLastEncounter": {"age": {"iso8601duration": "P61Y6M"}},
        },
        "phenotypicFeatures": [
            {"type": {"id": "HP:0005789", "label": "Generalized osteosclerosis"}},
            {"type": {"id": "HP:0003418", "label": "Back pain"}, "excluded": True},
        ],
        "metaData": {"phenopacketSchemaVersion": "2.0"},
    }
    base.update(extra)
    return base


def test_subject_and_features_are_read(tiny_ctx) -> None:
    case = parse_phenopacket(_packet(), "p.json", tiny_ctx)
    assert case.case_id == "p1"
    assert case.sex is Sex.FEMALE
    assert case.age_years == pytest.approx(61.5)
    assert [(f.id, f.present) for f in case.findings] == [
        ("HP:0005789", True),
        ("HP:0003418", False),
    ]
    assert case.findings[1].loc == "phenotypicFeatures[1].type.id"


def test_obsolete_id_is_replaced_with_a_warning(tiny_ctx) -> None:
    packet = _packet(phenotypicFeatures=[{"type": {"id": "HP:0000284", "label": "old"}}])
    case = parse_phenopacket(packet, "p.json", tiny_ctx)
    assert case.findings[0].id == "HP:0000315"
    assert any("obsolete" in w.message for w in case.warnings)


def test_loinc_measurement_with_ucum_unit_is_interpreted(tiny_ctx) -> None:
    packet = _packet(
        measurements=[
            {
                "assay": {
                    "id": "LOINC:17861-6",
                    "label": "Calcium [Mass/volume] in Serum or Plasma",
                },
                "value": {
                    "quantity": {"unit": {"id": "UCUM:mg/dL", "label": "mg/dL"}, "value": 11.4}
                },
            }
        ]
    )
    case = parse_phenopacket(packet, "p.json", tiny_ctx)
    (m,) = case.measurements
    assert m.interpretation == "high"
    assert m.loinc == "LOINC:17861-6"
    assert ("HP:0003072", True) in {(f.id, f.present) for f in case.findings}


def test_reference_range_given_with_the_value_is_preferred(tiny_ctx) -> None:
    packet = _packet(
        measurements=[
            {
                "assay": {"id": "LOINC:6768-6", "label": "ALP"},
                "value": {
                    "quantity": {
                        "unit": {"id": "UCUM:U/L"},
                        "value": 125,
                        "referenceRange": {"unit": {"id": "UCUM:U/L"}, "low": 27, "high": 86},
                    }
                },
            }
        ]
    )
    case = parse_phenopacket(packet, "p.json", tiny_ctx)
    assert case.measurements[0].interpretation == "high"
    assert case.measurements[0].reference_high == 86


def test_unknown_loinc_code_is_skipped_with_a_warning_naming_the_field(tiny_ctx) -> None:
    packet = _packet(
        measurements=[
            {
                "assay": {"id": "LOINC:0000-0", "label": "?"},
                "value": {"quantity": {"unit": {"id": "UCUM:mg/L"}, "value": 1}},
            }
        ]
    )
    case = parse_phenopacket(packet, "p.json", tiny_ctx)
    assert not case.measurements
    (warning,) = [w for w in case.warnings if w.loc == "measurements[0].assay.id"]
    assert "skipped" in warning.message


def test_description_is_read_with_negation(tiny_ctx) -> None:
    case = parse_phenopacket(
        _packet(description="No magic water. Test exposure denied."), "p", tiny_ctx
    )
    assert case.text_mentions[0].status == "negated"
    assert case.description.startswith("No magic water")


def test_disease_with_hpo_term_is_history(tiny_ctx) -> None:
    packet = _packet(diseases=[{"term": {"id": "HP:0003418", "label": "Back pain"}}])
    case = parse_phenopacket(packet, "p.json", tiny_ctx)
    history = [f for f in case.findings if f.origin == "history"]
    assert [(f.id, f.present, f.loc) for f in history] == [
        ("HP:0003418", True, "diseases[0].term.id")
    ]


def test_medical_action_label_is_read_as_text(tiny_ctx) -> None:
    packet = _packet(
        medicalActions=[{"treatment": {"agent": {"id": "X:1", "label": "magic water"}}}]
    )
    case = parse_phenopacket(packet, "p.json", tiny_ctx)
    assert ("OSX:test_exposure", True) in {(f.id, f.present) for f in case.findings}


def test_yaml_phenopacket_reads_like_json(tiny_ctx, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(_packet()), encoding="utf-8")
    case = read_case(path, tiny_ctx)
    assert case.case_id == "p1"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"id": "p1", "subject": ', "malformed JSON"),
        ("{not json", "malformed JSON"),
    ],
)
def test_malformed_json_gives_position_and_fix(tiny_ctx, tmp_path: Path, text, words) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseInputError) as info:
        read_case(path, tiny_ctx)
    issue = info.value.errors[0]
    assert words in issue.message
    assert issue.loc.startswith("line ")


def test_malformed_yaml_gives_position(tiny_ctx, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nfindings: [a, b\n", encoding="utf-8")
    with pytest.raises(CaseInputError) as info:
        read_case(path, tiny_ctx)
    assert "malformed YAML" in info.value.errors[0].message


def test_missing_file_is_a_clear_error(tiny_ctx, tmp_path: Path) -> None:
    with pytest.raises(CaseInputError) as info:
        read_case(tmp_path / "nope.json", tiny_ctx)
    assert info.value.errors[0].message == "file not found"


def test_missing_id_in_phenopacket_is_an_error(tiny_ctx) -> None:
    packet = _packet()
    del packet["id"]
    packet["subject"].pop("id")
    with pytest.raises(CaseInputError) as info:
        parse_phenopacket(packet, "p.json", tiny_ctx)
    assert info.value.errors[0].loc == "id"


def test_feature_with_wrong_type_is_reported_not_crashed(tiny_ctx) -> None:
    packet = _packet(phenotypicFeatures=[{"type": "HP:0003418"}, 7])
    with pytest.raises(CaseInputError) as info:
        parse_phenopacket(packet, "p.json", tiny_ctx)
    assert [i.loc for i in info.value.errors] == [
        "phenotypicFeatures[0].type",
        "phenotypicFeatures[1]",
    ]


def test_phenopacket_round_trips_through_json_file(tiny_ctx, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_packet()), encoding="utf-8")
    assert (
        read_case(path, tiny_ctx).findings
        == parse_phenopacket(_packet(), str(path), tiny_ctx).findings
    )
