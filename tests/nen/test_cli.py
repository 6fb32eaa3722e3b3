"""`osteodx nen ...` driven through a fresh Typer app with `register`: output, JSON, exit codes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from osteodx.nen.cli import register

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    return app


APP = _app()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(APP, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> Any:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_grade_prints_the_category_rule_and_source() -> None:
    code, out, _ = run(
        "nen",
        "grade",
        "--site",
        "ileum",
        "--ki67",
        "10",
        "--mitoses",
        "3",
        "--differentiation",
        "well",
    )
    assert code == 0
    assert "NET G2" in out and "rule:" in out and "PMID:31433515" in out


def test_grade_json_has_category_rule_and_source() -> None:
    data = run_json(
        "nen",
        "grade",
        "--site",
        "lung",
        "--mitoses",
        "3",
        "--differentiation",
        "well",
        "--necrosis",
        "none",
    )
    assert data["category"] == "atypical carcinoid"
    assert data["rule"] and data["source"] and data["rule_id"] == "thoracic_atypical_mitoses"


def test_grade_json_for_an_unknown_primary_says_convention() -> None:
    data = run_json(
        "nen", "grade", "--site", "unknown", "--ki67", "10", "--differentiation", "well"
    )
    assert data["category"] == "NET G2" and data["convention"]


@pytest.mark.parametrize("ki67", ["150", "-3"])
def test_ki67_outside_0_to_100_exits_2_naming_the_option(ki67: str) -> None:
    code, out, err = run("nen", "grade", "--site", "ileum", "--ki67", ki67)
    assert code == 2 and out == ""
    assert "error --ki67" in err and "0 and 100" in err and "Traceback" not in err


def test_unknown_site_exits_2_listing_the_sites() -> None:
    code, _, err = run("nen", "grade", "--site", "spleen", "--ki67", "10")
    assert code == 2 and "error --site" in err and "small_intestine" in err


def test_site_json_lists_sites_sorted_by_probability_with_contributions() -> None:
    data = run_json(
        "nen",
        "site",
        "--marker",
        "CDX2=pos",
        "--marker",
        "TTF-1=neg",
        "--clue",
        "carcinoid_syndrome=yes",
    )
    sites = data["sites"]
    assert sites[0]["site"] == "small_intestine"
    probs = [s["probability"] for s in sites]
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1)
    evidence = {c["evidence"] for c in sites[0]["contributions"]}
    assert evidence == {"cdx2", "ttf1", "carcinoid_syndrome"}
    assert {"site", "probability", "contributions"} <= set(sites[0])
    assert data["recommended_markers"]


def test_site_human_output_shows_the_table() -> None:
    code, out, _ = run("nen", "site", "--marker", "TTF1=pos", "--marker", "OTP=pos", "--top", "3")
    assert code == 0 and "Site of origin" in out and "lung" in out


def test_unknown_marker_exits_2_listing_the_accepted_markers() -> None:
    code, _, err = run("nen", "site", "--marker", "TTF9=pos")
    assert code == 2 and "error --marker TTF9" in err and "cdx2" in err


@pytest.mark.parametrize("marker", ["CDX2", "CDX2=maybe"])
def test_malformed_marker_exits_2(marker: str) -> None:
    code, _, err = run("nen", "site", "--marker", marker)
    assert code == 2 and "error --marker" in err and "fix:" in err


def test_unknown_clue_exits_2() -> None:
    code, _, err = run("nen", "site", "--clue", "flushing=yes")
    assert code == 2 and "error --clue" in err and "carcinoid_syndrome" in err


def test_ki67_command_warns_on_few_cells() -> None:
    code, out, _ = run("nen", "ki67", "--positive", "14", "--total", "300")
    assert code == 0 and "4.7 %" in out and "500" in out
    data = run_json("nen", "ki67", "--positive", "50", "--total", "500")
    assert (
        data["percent"] == pytest.approx(10)
        and data["gep_grade"] == "G2"
        and data["warnings"] == []
    )


@pytest.mark.parametrize(
    ("positive", "total", "option"),
    [("60", "50", "--positive"), ("-1", "50", "--positive"), ("1", "-50", "--total")],
)
def test_ki67_command_rejects_impossible_counts(positive: str, total: str, option: str) -> None:
    code, _, err = run("nen", "ki67", "--positive", positive, "--total", total)
    assert code == 2 and f"error {option}" in err


def test_markers_command_flags_confounders() -> None:
    data = run_json(
        "nen", "markers", "--result", "cga=250/100", "--result", "5hiaa=30mg/24h", "--factor", "ppi"
    )
    by_id = {m["marker"]: m for m in data["markers"]}
    assert by_id["chromogranin_a"]["status"] == "raised"
    assert [c["id"] for c in by_id["chromogranin_a"]["confounders"]] == ["ppi"]
    assert by_id["5hiaa"]["status"] == "raised"


def test_markers_command_rejects_an_unknown_factor() -> None:
    code, _, err = run("nen", "markers", "--result", "nse=raised", "--factor", "pizza")
    assert code == 2 and "error --factor" in err and "ppi" in err


def test_workup_for_the_founding_case() -> None:
    data = run_json(
        "nen", "workup", "--site", "unknown", "--ki67", "10", "--differentiation", "well",
        "--marker", "synaptophysin=pos", "--marker", "CgA=pos",
        "--metastasis", "bone", "--metastasis", "lymph_nodes", "--result", "nse=raised",
    )  # fmt: skip
    assert data["classification"]["category"] == "NET G2"
    assert data["staging"]["m"] == "M1b"
    assert data["site_posterior"]["sites"][0]["site"] == "small_intestine"
    assert data["recommended_markers"][0]["marker"] == "cdx2"
    code, out, _ = run(
        "nen", "workup", "--site", "unknown", "--ki67", "10", "--differentiation", "well"
    )
    assert code == 0 and "not a medical device" in out
