"""NEN, bone-score, treatment and case-library endpoints: answers, OpenAPI, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from osteodx.api import ApiSettings, create_app
from osteodx.bone import SCORE_NAMES

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = f"sqlite:///{tmp_path_factory.mktemp('lib')}/lib.sqlite"
    with TestClient(create_app(ApiSettings(similar=0, db=db))) as c:
        yield c


def _problem(r, status: int = 422) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in r.text
    body = r.json()
    assert body["status"] == status and body["errors"]
    return body["errors"][0]


# --- NEN --------------------------------------------------------------------------------------


def test_nen_grade_classifies_a_net_g2(client: TestClient) -> None:
    r = client.post(
        "/api/v1/nen/grade",
        json={
            "differentiation": "well",
            "ki67": 10,
            "markers": {"synaptophysin": "pos", "chromogranin A": "pos"},
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["category"] == "NET G2" and body["grade"] == "G2"
    assert body["source"] and body["rule"]
    assert any(c["measure"] == "ki67_percent" for c in body["criteria"])


def test_nen_grade_of_a_poorly_differentiated_carcinoma(client: TestClient) -> None:
    r = client.post(
        "/api/v1/nen/grade",
        json={
            "site": "pancreas",
            "differentiation": "poor",
            "ki67": 80,
            "morphology": "large_cell",
        },
    )
    assert r.status_code == 200 and r.json()["family"] == "NEC"


def test_ki67_of_150_is_refused_naming_the_field_and_range(client: TestClient) -> None:
    item = _problem(client.post("/api/v1/nen/grade", json={"ki67": 150}))
    assert item["loc"] == "body.ki67"
    assert item["accepted"] == [">= 0 and <= 100"]


def test_unknown_marker_is_refused_with_the_accepted_markers(client: TestClient) -> None:
    item = _problem(client.post("/api/v1/nen/grade", json={"markers": {"TTF9": "pos"}}))
    assert item["loc"] == "body.markers.TTF9"
    assert "ttf1" in item["accepted"] and "synaptophysin" in item["accepted"]


def test_unknown_site_and_marker_result_are_refused(client: TestClient) -> None:
    item = _problem(client.post("/api/v1/nen/grade", json={"site": "kidneyx"}))
    assert item["loc"] == "body.site" and "pancreas" in item["accepted"]
    item = _problem(client.post("/api/v1/nen/grade", json={"markers": {"CDX2": "yes"}}))
    assert item["loc"] == "body.markers.CDX2"
    assert item["accepted"] == ["pos", "neg", "focal", "not_done"]


def test_component_errors_name_the_component(client: TestClient) -> None:
    body = {"components": [{"kind": "neuroendocrine", "percent": 60, "ki67": 101}]}
    item = _problem(client.post("/api/v1/nen/grade", json=body))
    assert item["loc"] == "body.components.0.ki67"


def test_nen_site_gives_a_sorted_posterior_and_next_markers(client: TestClient) -> None:
    r = client.post(
        "/api/v1/nen/site",
        json={"markers": {"CDX2": "pos", "TTF1": "neg"}, "recommend": 2},
    )
    assert r.status_code == 200
    body = r.json()
    sites = body["posterior"]["sites"]
    probabilities = [s["probability"] for s in sites]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sites[0]["site"] == "small_intestine"
    assert {c["evidence"] for c in sites[0]["contributions"]} == {"cdx2", "ttf1"}
    recs = body["recommended_markers"]
    assert len(recs) == 2 and recs[0]["expected_information_gain_bits"] > 0
    assert not {"cdx2", "ttf1"} & {m["marker"] for m in recs}
    assert "not a medical device" in body["disclaimer"]


def test_nen_site_refuses_unknown_marker_and_clue(client: TestClient) -> None:
    item = _problem(client.post("/api/v1/nen/site", json={"markers": {"XYZ1": "pos"}}))
    assert item["loc"] == "body.markers.XYZ1"
    body = {"markers": {"CDX2": "pos"}, "clues": {"smoking": "yes"}}
    item = _problem(client.post("/api/v1/nen/site", json=body))
    assert item["loc"] == "body.clues.smoking" and "carcinoid_syndrome" in item["accepted"]


def test_nen_markers_interprets_chromogranin_with_its_confounder(client: TestClient) -> None:
    body = {"results": [{"marker": "CgA", "value": 250, "upper_limit": 100}], "factors": ["ppi"]}
    r = client.post("/api/v1/nen/markers", json=body)
    assert r.status_code == 200
    marker = r.json()["markers"][0]
    assert marker["status"] == "raised"
    assert [c["id"] for c in marker["confounders"] if c["relevant"]] == ["ppi"]


def test_nen_markers_refuses_unknown_marker_and_factor(client: TestClient) -> None:
    item = _problem(client.post("/api/v1/nen/markers", json={"results": [{"marker": "xyz"}]}))
    assert item["loc"] == "body.results.0.marker" and "nse" in item["accepted"]
    body = {"results": [{"marker": "nse", "elevated": True}], "factors": ["coffee?"]}
    item = _problem(client.post("/api/v1/nen/markers", json=body))
    assert item["loc"] == "body.factors.0" and "ppi" in item["accepted"]


# --- bone scores and treatments ---------------------------------------------------------------


def test_scores_are_listed_with_items_and_accepted_values(client: TestClient) -> None:
    r = client.get("/api/v1/scores")
    assert r.status_code == 200
    scores = {s["id"]: s for s in r.json()}
    assert tuple(scores) == SCORE_NAMES
    mirels = {i["name"]: i for i in scores["mirels"]["items"]}
    assert mirels["size"]["accepted"] == ["lt_1_3", "1_3_to_2_3", "gt_2_3"]
    assert mirels["size"]["help"]
    kps = next(i for i in scores["tokuhashi"]["items"] if i["name"] == "kps")
    assert kps["kind"] == "number" and kps["number"]["step"] == 10
    assert scores["sins"]["endpoint"] == "/api/v1/scores/sins"


def test_sins_score_is_computed(client: TestClient) -> None:
    values = {
        "location": "junctional",
        "pain": "mechanical",
        "bone_lesion": "lytic",
        "alignment": "deformity",
        "collapse": "lt_50",
        "posterolateral": "unilateral",
    }
    r = client.post("/api/v1/scores/sins", json=values)
    assert r.status_code == 200
    body = r.json()
    assert (body["total"], body["category"]["label"]) == (13, "unstable")
    assert body["source"] and body["citation"]


def test_missing_items_give_cannot_compute_never_a_default(client: TestClient) -> None:
    r = client.post("/api/v1/scores/mirels", json={"site": "peritrochanteric"})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "cannot_compute" and body["missing"] == ["pain", "lesion", "size"]
    assert body["total"] is None


def test_unknown_score_item_and_value_are_refused(client: TestClient) -> None:
    item = _problem(client.post("/api/v1/scores/frax", json={}))
    assert item["loc"] == "path.name" and item["accepted"] == list(SCORE_NAMES)
    item = _problem(client.post("/api/v1/scores/mirels", json={"site": "hand"}))
    assert item["loc"] == "body.site"
    assert item["accepted"] == ["upper_limb", "lower_limb", "peritrochanteric"]
    item = _problem(client.post("/api/v1/scores/mirels", json={"width": "2 cm"}))
    assert item["loc"] == "body.width" and item["accepted"] == ["site", "pain", "lesion", "size"]
    item = _problem(client.post("/api/v1/scores/tokuhashi", json={"kps": 15}))
    assert item["loc"] == "body.kps" and "multiple of 10" in item["fix"]


def test_treatments_list_options_with_eligibility(client: TestClient) -> None:
    context = {"family": "NEC", "bone_metastases": True}
    r = client.post("/api/v1/treatments", json=context)
    assert r.status_code == 200
    body = r.json()
    status = {o["id"]: o["status"] for o in body["options"]}
    assert status["platinum_etoposide"] == "eligible" and status["ssa"] == "not_eligible"
    assert body["prescribes"] is False and body["disclaimer"]


def test_treatment_context_errors_name_the_field(client: TestClient) -> None:
    item = _problem(client.post("/api/v1/treatments", json={"ecog": 7}))
    assert item["loc"] == "body.ecog" and item["accepted"] == [">= 0 and <= 4"]
    item = _problem(client.post("/api/v1/treatments", json={"family": "SCLC"}))
    assert item["loc"] == "body.family" and item["accepted"] == ["NET", "NEC"]
    item = _problem(client.post("/api/v1/treatments", json={"krenning": 3}))
    assert item["loc"] == "body.krenning" and "sstr_krenning" in item["accepted"]


# --- case library -----------------------------------------------------------------------------


def test_similar_cases_for_the_founding_case(client: TestClient) -> None:
    packet = json.loads((EXAMPLES / "founding-case.json").read_text())
    r = client.post("/api/v1/cases/similar", params={"top": 3}, json=packet)
    assert r.status_code == 200
    body = r.json()
    assert body["library_size"] >= 79 and len(body["cases"]) == 3
    sims = [c["similarity"] for c in body["cases"]]
    assert sims == sorted(sims, reverse=True)
    first = body["cases"][0]
    assert first["citation"] and first["matched"]
    one = client.get(f"/api/v1/cases/{first['case_id']}")
    assert one.status_code == 200 and one.json()["case_id"] == first["case_id"]
    assert one.json()["citation"]


def test_similar_cases_refuse_a_bad_case(client: TestClient) -> None:
    bad = {"id": "x", "findings": ["Sclerotic bonez"]}
    item = _problem(client.post("/api/v1/cases/similar", json=bad))
    assert item["loc"] == "findings[0]"


def test_unknown_library_case_is_not_found(client: TestClient) -> None:
    item = _problem(client.get("/api/v1/cases/no-such-case"), status=404)
    assert item["loc"] == "path.case_id"


def test_every_endpoint_is_documented_with_its_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/nen/grade",
        "/api/v1/nen/site",
        "/api/v1/nen/markers",
        "/api/v1/scores",
        "/api/v1/treatments",
        "/api/v1/cases/similar",
        "/api/v1/cases/{case_id}",
        *(f"/api/v1/scores/{n}" for n in SCORE_NAMES),
    ):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    for name in ("NenGradeRequest", "NenClassification", "MirelsScoreRequest", "ScoreResult"):
        assert name in schemas, name
    assert {"Assessment", "AssessmentSummary", "TreatmentContext", "Problem"} <= set(schemas)
    grade = paths["/api/v1/nen/grade"]["post"]
    assert "422" in grade["responses"]
    mirels = schemas["MirelsScoreRequest"]["properties"]["size"]
    assert "lt_1_3" in json.dumps(mirels)


def test_assess_looks_up_similar_patients_only_when_asked(client: TestClient) -> None:
    packet = json.loads((EXAMPLES / "founding-case.json").read_text())
    plain = client.post("/api/v1/assess", params={"detail": "summary"}, json=packet).json()
    assert plain["similar_patients"] == []
    light = client.post("/api/v1/assess", params={"detail": "summary", "similar": 2}, json=packet)
    full = client.post("/api/v1/assess", params={"similar": 2}, json=packet)
    assert light.status_code == full.status_code == 200
    ids = [p["case_id"] for p in light.json()["similar_patients"]]
    assert len(ids) == 2 and all(p["citation"] for p in light.json()["similar_patients"])
    assert ids == [p["case_id"] for p in full.json()["similar_patients"]]
