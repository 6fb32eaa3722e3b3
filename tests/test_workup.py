"""The NEN and bone sections of an assessment, built from what the case carries."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from osteodx import assess
from osteodx.assessment import assessment_from_json, assessment_to_json
from osteodx.case import parse_case_form, read_case
from osteodx.cli import app
from osteodx.report import render_html, render_terminal

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def founding_after_biopsy():
    return assess(read_case(EXAMPLES / "founding-case-biopsy.yaml"))


def _case(**sections: Any):
    base = {"id": "c", "age": 60, "sex": "male", "findings": ["Generalized osteosclerosis"]}
    return parse_case_form({**base, **sections}, "form.yaml")


def test_founding_case_after_biopsy_is_net_g2_and_nen_metastasis_first(
    founding_after_biopsy,
) -> None:
    a = founding_after_biopsy
    assert a.nen is not None
    assert a.nen.classification.category == "NET G2"
    assert a.nen.classification.convention  # unknown primary: GEP grading by convention
    assert a.differential.diagnoses[0].key == "metastasis_nen"
    assert a.differential.diagnoses[0].posttest > 0.9
    assert a.nen.site_posterior is not None and len(a.nen.site_posterior.sites) >= 9
    assert a.nen.staging is not None and a.nen.staging.m == "M1b"
    assert any(i.id for i in a.nen.imaging)


def test_the_biopsy_moves_the_differential_and_is_not_recommended_again() -> None:
    before = assess(read_case(EXAMPLES / "founding-case.yaml"))
    after = assess(read_case(EXAMPLES / "founding-case-biopsy.yaml"))
    p_before = next(d.posttest for d in before.differential.diagnoses if d.key == "metastasis_nen")
    p_after = next(d.posttest for d in after.differential.diagnoses if d.key == "metastasis_nen")
    assert p_after > p_before
    assert "bone_biopsy_ihc" in {t.key for t in before.next_tests}
    assert "bone_biopsy_ihc" not in {t.key for t in after.next_tests}
    top = after.differential.diagnoses[0]
    biopsy = next(c for c in top.contributions if c.finding_id == "test:bone_biopsy_ihc")
    assert biopsy.log10_lr > 0.5 and biopsy.support is not None


def test_phenopacket_and_case_form_after_biopsy_give_the_same_work_up(
    founding_after_biopsy,
) -> None:
    from_packet = assess(read_case(EXAMPLES / "founding-case-biopsy.json"))
    assert from_packet.nen is not None and founding_after_biopsy.nen is not None
    assert from_packet.nen.classification == founding_after_biopsy.nen.classification
    assert [s.site for s in from_packet.nen.site_posterior.sites] == [
        s.site for s in founding_after_biopsy.nen.site_posterior.sites
    ]


def test_scores_use_the_nen_conventions_and_say_what_is_missing(founding_after_biopsy) -> None:
    bone = founding_after_biopsy.bone
    assert bone is not None
    assert [s.score for s in bone.scores] == [
        "mirels",
        "sins",
        "tokuhashi",
        "tomita",
        "katagiri",
        "bauer",
    ]
    derived = {d.target: d for d in bone.derived}
    assert (
        derived["tokuhashi.primary"].value == "carcinoid"
        and derived["tokuhashi.primary"].convention
    )
    assert derived["tomita.primary"].value == "slow"
    assert derived["tomita.bone"].value == "multiple"  # bone metastases with patchy sclerosis
    tomita = bone.score("tomita")
    assert tomita.status == "cannot_compute" and tomita.missing == ("visceral",)
    assert bone.score("mirels").missing == ("site", "pain", "lesion", "size")


def test_entered_items_win_over_derived_ones_and_complete_the_score() -> None:
    case = _case(
        pathology={"differentiation": "well", "ki67": 10, "metastases": ["bone"]},
        bone={"tomita": {"primary": "moderate", "visceral": "none", "bone": "solitary"}},
    )
    bone = assess(case).bone
    assert bone is not None
    tomita = bone.score("tomita")
    assert (tomita.status, tomita.total) == ("computed", 3)
    assert "tomita.primary" not in {d.target for d in bone.derived}


def test_mirels_total_feeds_the_surgical_option() -> None:
    case = _case(
        pathology={"differentiation": "well", "ki67": 2, "metastases": ["bone"]},
        bone={
            "mirels": {
                "site": "peritrochanteric",
                "pain": "functional",
                "lesion": "lytic",
                "size": "gt_2_3",
            }
        },
    )
    bone = assess(case).bone
    assert bone is not None and bone.treatments is not None
    assert bone.score("mirels").total == 12
    assert bone.treatments.context.mirels_total == 12
    assert "context.mirels_total" in {d.target for d in bone.derived}
    assert bone.treatments.prescribes is False


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        (
            {
                "platelets": "250 10*9/L",
                "calcium": "9.5 mg/dL",
                "bilirubin": "0.8 mg/dL",
                "crp": "2 mg/L",
                "ldh": "180 U/L",
                "albumin": "4.2 g/dL",
            },
            "normal",
        ),
        (
            {
                "platelets": "250 10*9/L",
                "calcium": "9.5 mg/dL",
                "bilirubin": "0.8 mg/dL",
                "ldh": "400 U/L",
            },
            "abnormal",
        ),
        ({"platelets": "60 10*9/L"}, "critical"),
        ({"ldh": "400 U/L"}, None),  # a critical value could still be missing
    ],
)
def test_katagiri_laboratory_item_is_derived_only_when_the_labs_decide_it(
    labs: dict[str, str], expected: str | None
) -> None:
    case = _case(pathology={"differentiation": "well", "ki67": 2}, labs=labs)
    bone = assess(case).bone
    assert bone is not None
    derived = {d.target: d.value for d in bone.derived}
    assert derived.get("katagiri.lab") == expected


def _katagiri_cut_offs() -> list[tuple[str, Any]]:
    from osteodx.bone import score_declaration

    rule = next(i for i in score_declaration("katagiri").items if i.name == "lab").derive_from_labs
    assert rule is not None
    return [(level.value, c) for level in rule.levels for c in level.any_of]


def _katagiri_lab_derived(labs: dict[str, float], units: dict[str, str]) -> Any:
    case = _case(
        pathology={"differentiation": "well", "ki67": 2},
        labs={k: f"{v:g} {units[k]}" for k, v in labs.items()},
    )
    bone = assess(case).bone
    assert bone is not None
    return next((d for d in bone.derived if d.target == "katagiri.lab"), None)


@pytest.mark.parametrize(
    ("level", "cut"), _katagiri_cut_offs(), ids=[f"{lv}-{c.lab}" for lv, c in _katagiri_cut_offs()]
)
def test_katagiri_laboratory_item_switches_at_each_declared_cut_off(level: str, cut: Any) -> None:
    """The thresholds come from bone/scores/katagiri.yaml; case values are in the same units."""
    cut_offs = [c for _, c in _katagiri_cut_offs()]
    units = {c.lab: c.unit for c in cut_offs}
    unmet = {c.lab: c.threshold * (1.1 if c.comparison in ("lt", "le") else 0.9) for c in cut_offs}
    toward = -0.02 if cut.comparison in ("lt", "le") else 0.02
    beyond = _katagiri_lab_derived({**unmet, cut.lab: cut.threshold * (1 + toward)}, units)
    assert beyond is not None and beyond.value == level
    assert beyond.reason.startswith(f"measured {cut.lab} beyond the {level} cut-off")
    assert beyond.source == cut.source
    within = _katagiri_lab_derived({**unmet, cut.lab: cut.threshold * (1 - toward)}, units)
    assert within is not None and within.value == "normal"


def test_katagiri_laboratory_item_follows_a_modified_declaration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lowering the declared LDH cut-off below the case's LDH turns 'normal' into 'abnormal'."""
    import osteodx.bone
    from osteodx.bone import ScoreDeclaration, score_declaration

    shipped = score_declaration("katagiri")
    labs = {
        "platelets": "250 10*9/L",
        "calcium": "9.5 mg/dL",
        "bilirubin": "0.8 mg/dL",
        "crp": "2 mg/L",
        "ldh": "180 U/L",
        "albumin": "4.2 g/dL",
    }
    case = _case(pathology={"differentiation": "well", "ki67": 2}, labs=labs)
    raw = shipped.model_dump(exclude_defaults=True)
    lab_item = next(i for i in raw["items"] if i["name"] == "lab")
    ldh = next(c for c in lab_item["derive_from_labs"]["levels"][1]["any_of"] if c["lab"] == "ldh")
    ldh["threshold"] = 150.0
    modified = ScoreDeclaration.model_validate(raw)

    def declaration(name: str) -> ScoreDeclaration:
        return modified if name == "katagiri" else score_declaration(name)

    before = assess(case).bone
    assert before is not None
    assert {d.target: d.value for d in before.derived}["katagiri.lab"] == "normal"
    monkeypatch.setattr(osteodx.bone, "score_declaration", declaration)
    after = assess(case).bone
    assert after is not None
    derived = {d.target: d for d in after.derived}["katagiri.lab"]
    assert derived.value == "abnormal"
    assert derived.reason == (
        "measured ldh beyond the abnormal cut-off; no critical value; "
        "the cut-offs are unverified against the paper"
    )


def test_a_case_without_pathology_or_bone_section_has_neither_section() -> None:
    a = assess(read_case(EXAMPLES / "founding-case.yaml"))
    assert a.nen is None and a.bone is None


def test_bone_section_alone_gives_scores_without_nen_conventions() -> None:
    bone = assess(_case(bone={"sins": {"location": "junctional"}})).bone
    assert bone is not None
    assert not any(d.convention for d in bone.derived)
    assert "location" not in bone.score("sins").missing


def test_assessment_with_sections_round_trips_through_json(founding_after_biopsy) -> None:
    again = assessment_from_json(assessment_to_json(founding_after_biopsy))
    assert again == founding_after_biopsy


def test_terminal_and_html_show_classification_scores_and_options(founding_after_biopsy) -> None:
    out = io.StringIO()
    render_terminal(founding_after_biopsy, Console(file=out, width=140, color_system=None))
    text = out.getvalue()
    html = render_html(founding_after_biopsy)
    for shown in (text, html):
        assert "NET G2" in shown
        assert "Tomita" in shown
        assert "cannot compute: needs" in shown
        assert "not a prescription" in shown
    assert 'id="nen"' in html and 'id="bone"' in html
    assert "PMID:31433515" in html  # WHO grading source listed among the sources


def test_cli_assess_json_carries_the_nen_and_bone_sections() -> None:
    result = CliRunner().invoke(
        app, ["assess", str(EXAMPLES / "founding-case-biopsy.json"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["nen"]["classification"]["category"] == "NET G2"
    assert data["nen"]["site_posterior"]["sites"][0]["probability"] > 0
    assert {s["score"] for s in data["bone"]["scores"]} >= {"mirels", "sins", "katagiri"}
    assert data["bone"]["treatments"]["prescribes"] is False


def test_similar_published_patients_are_matched_on_the_pathology_too(tmp_path: Path) -> None:
    case = read_case(EXAMPLES / "founding-case-biopsy.yaml")
    a = assess(case, similar=10, db=f"sqlite:///{tmp_path / 'library.db'}")
    assert a.similar_patients, a.similar_patients_note
    fields = {c.field for p in a.similar_patients for c in p.matched}
    assert "histology" in fields
    assert any(f.startswith("ihc:") or f.startswith("grade") for f in fields)


def test_json_without_sections_does_not_load_nen_and_sections_still_round_trip() -> None:
    """The serialiser resolves the section types lazily; the output is the same either way."""
    import subprocess
    import sys

    script = f"""
import sys
from osteodx import assess, read_case
from osteodx.assessment import assessment_from_json, assessment_to_json
plain = assessment_to_json(assess(read_case({str(EXAMPLES / "founding-case.yaml")!r})))
assert "osteodx.nen._workup" not in sys.modules, "NEN package loaded for a case without pathology"
a = assess(read_case({str(EXAMPLES / "founding-case-biopsy.yaml")!r}))
text = assessment_to_json(a)
again = assessment_from_json(text)
assert again == a, "round trip differs"
assert type(again.nen).__name__ == "NenWorkup"
from pydantic import TypeAdapter
from osteodx.assessment import Assessment, _adapter
assert _adapter().dump_json(a, indent=2).decode() == text, "lazy serialiser output differs"
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_a_net_of_unknown_primary_gets_both_katagiri_readings() -> None:
    import yaml

    from osteodx.case import parse_case_form

    form = yaml.safe_load((EXAMPLES / "founding-case-biopsy.yaml").read_text("utf-8"))
    bone = assess(parse_case_form(form, "form"), similar=0).bone
    assert bone is not None
    (alt,) = bone.alternatives
    assert (alt.score, alt.item, alt.value) == ("katagiri", "primary", "rapid")
    assert "unknown origin" in alt.reading
    convention = bone.score("katagiri")
    assert alt.result.total_range[0] == convention.total_range[0] + 1  # rapid 3 vs moderate 2

    form["pathology"]["site"] = "small_intestine"
    known = assess(parse_case_form(form, "form"), similar=0).bone
    assert known is not None and known.alternatives == ()
