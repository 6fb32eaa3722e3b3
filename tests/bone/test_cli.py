"""`osteodx score ...` and `osteodx treatments ...` driven through a fresh Typer app."""

from __future__ import annotations

import json
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from osteodx.bone import list_scores
from osteodx.bone.cli import register

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    return app


APP = _app()
M3 = ["site=lower_limb", "pain=moderate", "lesion=mixed", "size=1_3_to_2_3"]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(APP, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> Any:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_score_prints_items_total_category_and_source() -> None:
    """M3 of reference 1.4: total 8, band 8."""
    code, out, _ = run("score", "mirels", *M3)
    assert code == 0
    assert "total 8" in out and "category 8" in out and "PMID:2684463" in out


def test_score_json_has_score_items_total_and_category() -> None:
    data = run_json(
        "score",
        "sins",
        "location=junctional",
        "pain=mechanical",
        "bone_lesion=lytic",
        "alignment=deformity",
        "collapse=lt_50",
        "posterolateral=unilateral",
    )
    assert data["score"] == "sins" and data["total"] == 13
    assert data["category"]["id"] == "unstable" and data["category"]["label"] == "unstable"
    assert [(i["name"], i["value"], i["points"]) for i in data["items"]] == [
        ("location", "junctional", 3),
        ("pain", "mechanical", 3),
        ("bone_lesion", "lytic", 2),
        ("alignment", "deformity", 2),
        ("collapse", "lt_50", 2),
        ("posterolateral", "unilateral", 1),
    ]


def test_number_items_come_back_as_numbers_in_json() -> None:
    data = run_json(
        "score",
        "tokuhashi",
        "kps=90",
        "extraspinal=0",
        "vertebrae=1",
        "visceral=none",
        "primary=breast",
        "frankel=E",
    )
    assert data["total"] == 15 and data["items"][0]["value"] == 90


@pytest.mark.parametrize("name", [d.id for d in list_scores()])
def test_score_help_lists_every_item_and_accepted_value(name: str) -> None:
    code, out, _ = run("score", name, "--help")
    assert code == 0
    flat = " ".join(out.split())
    decl = next(d for d in list_scores() if d.id == name)
    for item in decl.items:
        assert f"{item.name} —" in flat
        for choice in item.choices:
            assert f"{choice.value} ({choice.points})" in flat


def test_score_group_help_lists_the_six_scores() -> None:
    code, out, _ = run("score", "--help")
    assert code == 0
    for name in ("mirels", "sins", "tokuhashi", "tomita", "katagiri", "bauer"):
        assert name in out


def test_missing_item_prints_cannot_compute_with_the_range() -> None:
    code, out, _ = run("score", "mirels", "site=peritrochanteric", "lesion=lytic", "size=gt_2_3")
    assert code == 0
    assert "cannot compute: needs Pain (enter pain=...)" in out and "10-12" in out


def test_missing_item_json_says_cannot_compute() -> None:
    data = run_json("score", "mirels", "site=upper_limb")
    assert data["status"] == "cannot_compute" and data["total"] is None
    assert data["missing"] == ["pain", "lesion", "size"] and data["total_range"] == [4, 10]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["score", "mirels", "site=arm"], "upper_limb, lower_limb, peritrochanteric"),
        (["score", "mirels", "colour=red"], "site=upper_limb|lower_limb|peritrochanteric"),
        (["score", "mirels", "siteupper_limb"], "ITEM=VALUE"),
        (["score", "tokuhashi", "kps=120"], "from 10 to 100 in steps of 10"),
        (["score", "katagiri", "ecog=7"], "from 0 to 4"),
        (["score", "sins", "location=T6"], "junctional, mobile, semi_rigid, rigid"),
    ],
)
def test_bad_input_exits_2_with_the_accepted_values_and_no_traceback(
    args: list[str], expected: str
) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert "error" in err and "fix:" in err
    assert expected in " ".join(err.split())
    assert "Traceback" not in err + out


def test_unknown_score_name_exits_2() -> None:
    code, _, _ = run("score", "karnofsky")
    assert code == 2


def test_treatments_lists_options_and_says_it_does_not_prescribe() -> None:
    code, out, _ = run("treatments", "family=NEC", "bone_metastases=yes")
    assert code == 0
    assert "not a prescription" in out
    assert "Platinum" in out and "eligible" in out


def test_treatments_json_has_options_with_status_and_disclaimer() -> None:
    data = run_json(
        "treatments",
        "family=NET",
        "grade=G2",
        "ki67_percent=10",
        "primary_site=unknown",
        "bone_metastases=yes",
    )
    assert data["prescribes"] is False and "not a prescription" in data["disclaimer"]
    by_id = {o["id"]: o for o in data["options"]}
    assert by_id["ssa"]["status"] == "unknown" and by_id["ssa"]["needs"] == ["primary_site"]
    assert by_id["platinum_etoposide"]["status"] == "not_eligible"


def test_treatments_help_lists_the_context_fields() -> None:
    code, out, _ = run("treatments", "--help")
    flat = " ".join(out.split())
    assert code == 0
    for field in ("family", "ki67_percent", "sstr_krenning", "egfr_ml_min", "mirels_total"):
        assert f"{field} —" in flat


@pytest.mark.parametrize(
    "args",
    [["treatments", "family=XX"], ["treatments", "ki67=10"], ["treatments", "family"]],
)
def test_bad_treatment_input_exits_2_without_traceback(args: list[str]) -> None:
    code, out, err = run(*args)
    assert code == 2 and "fix:" in err and "Traceback" not in err + out
