"""docs/scores.md is generated from the declarations and must be kept up to date."""

from __future__ import annotations

import os
from pathlib import Path

from osteodx.bone import scores_markdown, worked_examples_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "scores.md"


def test_docs_scores_page_is_up_to_date_with_the_declarations() -> None:
    """Regenerate: OSTEODX_REGEN_DOCS=1 pytest tests/bone/test_docs.py, then review the diff."""
    expected = scores_markdown()
    if os.environ.get("OSTEODX_REGEN_DOCS") == "1":
        DOC.write_text(expected, encoding="utf-8")
    assert DOC.exists(), "docs/scores.md is missing; run with OSTEODX_REGEN_DOCS=1"
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/scores.md is out of date; run OSTEODX_REGEN_DOCS=1 pytest tests/bone/test_docs.py"
    )


def test_docs_page_has_the_nen_conventions_anchor_the_data_cite() -> None:
    assert "\n## NEN conventions\n" in scores_markdown()


def test_docs_page_lists_every_item_value() -> None:
    text = scores_markdown()
    for value in (
        "`peritrochanteric`",
        "`none_gt_50_involved`",
        "`carcinoid`",
        "`untreatable`",
        "`disseminated`",
        "`lung_cancer`",
    ):
        assert value in text


def test_readme_table_shows_every_worked_example_equal() -> None:
    table = worked_examples_markdown()
    assert "42 of 42 worked examples equal." in table
    assert "| NO |" not in table


def test_readme_worked_example_table_is_what_the_engine_computes() -> None:
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- worked-examples:start -->\n") + len(
        "<!-- worked-examples:start -->\n"
    )
    end = readme.index("<!-- worked-examples:end -->")
    assert readme[start:end].strip() == worked_examples_markdown().strip()
    assert "| no |" not in readme[start:end]
