"""The web form's optional sections: generated fields, the case-form mapping, error placement."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from osteodx.api import ApiSettings, create_app
from osteodx.api._forms import WebForm, errors_by_field, form_sections
from osteodx.bone import list_scores
from osteodx.case import parse_case_form


def test_sections_are_generated_from_the_declarations() -> None:
    sections = form_sections()
    assert [s.id for s in sections.scores] == [d.id for d in list_scores()]
    mirels = next(s for s in sections.scores if s.id == "mirels")
    size = next(f for f in mirels.fields if f.name == "score_mirels__size")
    assert [v for v, _ in size.options] == ["", "lt_1_3", "1_3_to_2_3", "gt_2_3"]
    assert size.help
    kps = next(f for s in sections.scores for f in s.fields if f.name == "score_tokuhashi__kps")
    assert not kps.options and "10 to 100" in kps.help
    markers = {f.name for f in sections.markers}
    assert {"ihc_synaptophysin", "ihc_chromogranin_a", "ihc_ttf1", "ihc_cdx2"} <= markers
    ecog = next(f for f in sections.context if f.name == "ctx_ecog")
    assert [v for v, _ in ecog.options] == ["", "0", "1", "2", "3", "4"]


def test_pathology_section_becomes_the_pathology_mapping() -> None:
    form = WebForm(
        {
            "case_id": "p1",
            "findings": "Patchy osteosclerosis",
            "path_site": "unknown",
            "path_differentiation": "well",
            "path_ki67": "10 %",
            "path_necrosis": "",
            "ihc_synaptophysin": "pos",
            "ihc_chromogranin_a": "pos",
            "ihc_ttf1": "neg",
            "ihc_cdx2": "",
        }
    )
    doc, errors = form.to_document()
    assert errors == {}
    assert doc["pathology"] == {
        "site": "unknown",
        "differentiation": "well",
        "ki67": 10.0,
        "markers": {"synaptophysin": "pos", "chromogranin_a": "pos", "ttf1": "neg"},
    }
    case = parse_case_form(doc, "web form")
    assert case.pathology is not None and case.pathology.pathology.ki67_percent == 10.0


def test_blank_optional_sections_add_nothing() -> None:
    doc, errors = WebForm({"case_id": "b", "findings": "Patchy osteosclerosis"}).to_document()
    assert errors == {} and "pathology" not in doc and "bone" not in doc


def test_bone_section_becomes_scores_and_context_fields() -> None:
    form = WebForm(
        {
            "case_id": "b1",
            "score_mirels__site": "lower_limb",
            "score_mirels__pain": "moderate",
            "score_sins__pain": "",
            "score_tokuhashi__kps": "70",
            "ctx_sstr_krenning": "3",
            "ctx_progression": "yes",
            "ctx_ecog": "1",
            "ctx_egfr_ml_min": "",
        }
    )
    doc, errors = form.to_document()
    assert errors == {}
    assert doc["bone"] == {
        "mirels": {"site": "lower_limb", "pain": "moderate"},
        "tokuhashi": {"kps": "70"},
        "sstr_krenning": "3",
        "progression": "yes",
        "ecog": "1",
    }
    case = parse_case_form({**doc, "findings": ["Patchy osteosclerosis"]}, "web form")
    assert case.bone is not None


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"path_ki67": "150"}, "path_ki67", "100"),
        ({"path_ki67": "ten"}, "path_ki67", "not a number"),
        ({"path_mitoses": "-3"}, "path_mitoses", "not a number"),
        ({"score_tokuhashi__kps": "15"}, "score_tokuhashi__kps", "multiple"),
        ({"score_mirels__site": "hand"}, "score_mirels__site", "upper_limb"),
        ({"ctx_egfr_ml_min": "lots"}, "ctx_egfr_ml_min", "number"),
        ({"ihc_ttf1": "maybe"}, "ihc_ttf1", "pos, neg, focal or not_done"),
    ],
)
def test_section_errors_are_placed_at_their_field(values: dict, field: str, words: str) -> None:
    _, errors = WebForm({"case_id": "e", **values}).to_document()
    assert field in errors, errors
    assert words in errors[field]


def test_reader_issue_locations_map_to_section_fields() -> None:
    mapped = errors_by_field(
        [
            ("pathology.ki67", "a"),
            ("pathology.markers.TTF-1", "b"),
            ("bone.sins.pain", "c"),
            ("bone.ecog", "d"),
            ("findings[1]", "e"),
        ]
    )
    assert mapped == {
        "path_ki67": "a",
        "ihc_ttf1": "b",
        "score_sins__pain": "c",
        "ctx_ecog": "d",
        "findings": "e",
    }


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(create_app(ApiSettings(similar=0))) as c:
        yield c


def test_form_page_has_labelled_section_fields(client: TestClient) -> None:
    page = client.get("/").text
    for name in ("path_ki67", "ihc_synaptophysin", "score_mirels__size", "ctx_sstr_krenning"):
        assert f'<label for="{name}">' in page and f'id="{name}"' in page
    assert 'aria-describedby="score_mirels__size-help"' in page
    assert "<legend>Mirels score" in page or "<legend>Mirels" in page


def test_web_form_with_pathology_shows_the_grade(client: TestClient) -> None:
    r = client.post(
        "/assess",
        data={
            "case_id": "web-nen",
            "age": "30",
            "sex": "male",
            "findings": "Patchy osteosclerosis\nLow back pain\nHP:4000189",
            "path_differentiation": "well",
            "path_ki67": "10",
            "ihc_synaptophysin": "pos",
            "ihc_chromogranin_a": "pos",
            "score_mirels__site": "lower_limb",
            "ctx_sstr_krenning": "3",
        },
    )
    assert r.status_code == 200, r.text[:500]
    assert "NET G2" in r.text


def test_web_form_section_error_keeps_values_and_opens_the_section(client: TestClient) -> None:
    r = client.post(
        "/assess",
        data={
            "case_id": "web-bad",
            "findings": "Patchy osteosclerosis",
            "path_ki67": "150",
            "ihc_synaptophysin": "pos",
            "score_mirels__site": "lower_limb",
        },
    )
    assert r.status_code == 422
    assert 'id="path_ki67-error"' in r.text
    assert 'aria-invalid="true"' in r.text
    assert 'value="150"' in r.text
    assert '<option value="pos" selected>' in r.text
    assert '<option value="lower_limb" selected>' in r.text
    assert '<details class="section" id="pathology-section" open>' in r.text
