"""`osteodx cases ...` driven through a fresh Typer app with `register`: JSON shapes, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from osteodx.literature.cli import register

REPO = Path(__file__).parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    return app


APP = _app()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lib.sqlite'}"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(APP, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_json_prints_the_library_as_a_list(db: str) -> None:
    code, out, _ = run("cases", "list", "--db", db, "--json")
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 79
    assert data[0]["case_id"] == "nen-001" and "citation" in data[0]


def test_list_with_filters_and_the_table(db: str) -> None:
    code, out, _ = run("cases", "list", "bone_lesion_type=osteoblastic", "--db", db, "--json")
    assert [r["case_id"] for r in json.loads(out)] == ["nen-001", "nen-002"]
    code, out, _ = run("cases", "list", "--db", db)
    assert code == 0 and "Case library (79 patients)" in out


def test_show_prints_one_case_with_its_source(db: str) -> None:
    code, out, _ = run("cases", "show", "nen-002", "--db", db, "--json")
    assert code == 0 and json.loads(out)["citation"]["first_author"] == "Bongiovanni A"
    code, _, err = run("cases", "show", "nen-999", "--db", db)
    assert code == 2 and "not in the library" in err


def test_similar_json_is_a_list_of_the_documented_objects(db: str) -> None:
    code, out, _ = run(
        "cases",
        "similar",
        str(REPO / "examples" / "founding-case.yaml"),
        "--top",
        "3",
        "--grade",
        "G2",
        "--ki67",
        "10",
        "--ihc",
        "synaptophysin:pos",
        "--db",
        db,
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert len(data) == 3
    for item in data:
        assert set(item) == {"case_id", "citation", "similarity", "matched", "differed"}
    assert data[0]["case_id"] == "nen-001"


def test_similar_to_a_library_case_and_the_table(db: str) -> None:
    code, out, _ = run("cases", "similar", "nen-002", "--top", "2", "--db", db)
    assert code == 0
    assert "Most similar published patients" in out and "not a medical device" in out


def test_similar_reads_an_assessment_json(db: str, tmp_path: Path) -> None:
    from osteodx import assess, assessment_to_json, read_case

    assessment = assess(read_case(REPO / "examples" / "founding-case.yaml"), tests=1)
    path = tmp_path / "assessment.json"
    path.write_text(assessment_to_json(assessment), encoding="utf-8")
    code, out, _ = run("cases", "similar", str(path), "--top", "1", "--db", db, "--json")
    assert code == 0 and json.loads(out)[0]["case_id"] == "nen-001"


def test_summary_prints_markdown_and_csv(db: str) -> None:
    code, out, _ = run("cases", "summary", "bone=true", "--db", db)
    assert code == 0 and out.startswith("## Published patients (bone=true) (n = 28)")
    code, out, _ = run("cases", "summary", "--format", "csv", "--db", db)
    assert code == 0 and out.splitlines()[1] == "patients,patients,79,100,,,,,"


def test_plot_writes_the_four_plots(db: str, tmp_path: Path) -> None:
    code, _, _ = run(
        "cases", "plot", "sex=male", "--out", str(tmp_path), "--format", "png", "--db", db
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "age_distribution.png",
        "kaplan_meier.png",
        "lesion_types.png",
        "primary_sites.png",
    ]


def test_import_reports_bad_records_with_position_and_exits_2(db: str) -> None:
    code, out, err = run("cases", "import", str(FIXTURES / "cases.csv"), "--db", db, "--json")
    assert code == 2
    report = json.loads(out)[0]
    assert report["added"] == ["csv-1", "pmid-99000012"]
    assert "cases.csv line 3: age: 'forty' is not a number; fix:" in err
    code, out, _ = run("cases", "list", "--db", db, "--json")
    assert len(json.loads(out)) == 81


def test_unknown_filter_field_exits_2_with_the_accepted_fields(db: str) -> None:
    code, _, err = run("cases", "summary", "colour=blue", "--db", db)
    assert code == 2
    assert "filter field 'colour' is unknown; fix: use one of: case_id, age" in err


def test_bad_summary_format_exits_2(db: str) -> None:
    code, _, err = run("cases", "summary", "--format", "html", "--db", db)
    assert code == 2 and "markdown" in err


def test_unreachable_database_exits_2_without_traceback() -> None:
    code = """
import typer
from osteodx.literature.cli import register
app = typer.Typer()
@app.callback()
def main() -> None: pass
register(app)
app()
"""
    proc = subprocess.run(
        [sys.executable, "-c", code, "cases", "list", "--db", "postgresql://u@127.0.0.1:1/x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "cannot open the case library" in proc.stderr and "fix:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_assess_section_lists_similar_published_patients(db: str) -> None:
    from rich.console import Console

    from osteodx import read_case
    from osteodx.literature.cli import print_similar_section, similar_json_for_case

    case = read_case(REPO / "examples" / "founding-case.yaml")
    console = Console(record=True, width=200)
    print_similar_section(case, console, top=2, db=db)
    assert "nen-001" in console.export_text()
    assert similar_json_for_case(case, top=1, db=db)[0]["case_id"] == "nen-001"
    broken = Console(record=True, width=200)
    print_similar_section(case, broken, db="postgresql://u@127.0.0.1:1/x")
    assert "similar published patients unavailable" in broken.export_text()
    assert similar_json_for_case(case, db="postgresql://u@127.0.0.1:1/x") == []
