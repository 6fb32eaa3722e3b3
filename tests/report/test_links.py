"""Citation links: every reference in the HTML report opens its source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import osteodx
from osteodx.report import render_html
from osteodx.report._links import citation_url, cite

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.parametrize(
    ("part", "url"),
    [
        ("PMID:32757401", "https://pubmed.ncbi.nlm.nih.gov/32757401/"),
        ("PMID 12345", "https://pubmed.ncbi.nlm.nih.gov/12345/"),
        ("PMC9599650", "https://pmc.ncbi.nlm.nih.gov/articles/PMC9599650/"),
        ("DOI:10.1038/s41467-018-03720-z", "https://doi.org/10.1038/s41467-018-03720-z"),
        ("https://www.who.int/page.", "https://www.who.int/page"),
        ("docs/scores.md#nen-conventions", None),
    ],
)
def test_each_citation_form_has_its_address(part: str, url: str | None) -> None:
    assert citation_url(part) == url


def test_several_parts_are_linked_one_by_one_and_text_is_escaped() -> None:
    html = str(cite("PMID:1; DOI:10.1/x; <b>notes</b>"))
    assert html.count("<a href=") == 2
    assert "&lt;b&gt;notes&lt;/b&gt;" in html
    assert str(cite(None)) == "" and str(cite("")) == ""


def test_every_outside_reference_in_the_report_is_a_link() -> None:
    case = osteodx.read_case(EXAMPLES / "founding-case-biopsy.yaml")
    html = render_html(osteodx.assess(case))
    listed = re.findall(r"<li>(.*?)</li>", html.split('<ol class="sources">')[1].split("</ol>")[0])
    outside = [item for item in listed if not item.startswith("docs/")]
    assert len(outside) > 20 and all(item.startswith("<a href=") for item in outside)
    # Sources in the tables are links too, not bare identifiers.
    assert not re.search(r'<td class="muted">(PMID|DOI|PMC)', html)
