"""Literature-review table, filters and plots.

Expected counts are those printed in the shipped data's README (data/cases-README.md, section
"Counts (79 patients)"), which the curators computed from cases.jsonl.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from osteodx.literature import (
    LibraryError,
    ReviewRow,
    ReviewTable,
    apply_filters,
    open_library,
    parse_filter,
    render_csv,
    render_markdown,
    review_table,
    write_plots,
)
from osteodx.literature._record import LibraryCase


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> tuple[LibraryCase, ...]:
    lib = open_library(f"sqlite:///{tmp_path_factory.mktemp('rev') / 'l.sqlite'}")
    return lib.cases()


def _row(table: ReviewTable, section: str, item: str) -> ReviewRow:
    return next(r for r in table.rows if r.section == section and r.item == item)


def test_review_table_reproduces_the_counts_of_the_data_readme(
    records: tuple[LibraryCase, ...],
) -> None:
    """README: age 69 with age, range 9-90, median 60; male 43, female 30, null 6; lung 12,
    unknown 11; osteoblastic 2, osteolytic 3, mixed 1, none 6; alive 30, dead 8;
    follow_up_months for 26 patients; surgery 52."""
    t = review_table(records)
    assert t.patients == 79
    age = _row(t, "age", "age, years")
    assert (age.count, age.median, age.minimum, age.maximum) == (69, 60, 9, 90)
    assert _row(t, "sex", "male").count == 43
    assert _row(t, "sex", "female").count == 30
    assert _row(t, "sex", "not reported").count == 6
    assert _row(t, "primary site", "lung").count == 12
    assert _row(t, "primary site", "unknown").count == 11
    for lesion, n in (("osteoblastic", 2), ("osteolytic", 3), ("mixed", 1), ("none", 6)):
        assert _row(t, "bone lesion type", lesion).count == n
    assert _row(t, "outcome", "alive").count == 30
    assert _row(t, "outcome", "dead").count == 8
    assert _row(t, "follow-up", "follow-up, months").count == 26
    assert _row(t, "treatments", "surgery").count == 52


def test_bone_filter_selects_the_28_patients_with_bone_involvement(
    records: tuple[LibraryCase, ...],
) -> None:
    """README: 'Patients with any recorded bone/bone-marrow involvement: 28'."""
    assert len(apply_filters(records, [parse_filter("bone=true")])) == 28


def test_filters_compare_numbers_match_lists_and_null(records: tuple[LibraryCase, ...]) -> None:
    adults = apply_filters(records, [parse_filter("age>=18")])
    assert all(r.age is not None and r.age >= 18 for r in adults)
    spine = apply_filters(records, [parse_filter("bone_sites=spine")])
    assert len(spine) == 14  # README: bone sites spine 14
    both = apply_filters(records, [parse_filter("primary_site=lung,pancreas")])
    assert len(both) == 12 + 5
    assert len(apply_filters(records, [parse_filter("sex=null")])) == 6
    assert (
        len(apply_filters(records, [parse_filter("primary_site=other:*")])) == 79 - 52
    )  # README: 52 patients at the ten named sites or unknown


def test_unknown_filter_field_names_the_accepted_fields() -> None:
    with pytest.raises(LibraryError) as info:
        parse_filter("colour=blue")
    assert "filter field 'colour' is unknown" in info.value.message
    assert "primary_site" in info.value.fix
    with pytest.raises(LibraryError):
        parse_filter("sex>=3")
    with pytest.raises(LibraryError):
        parse_filter("age>=old")


def test_markdown_and_csv_carry_the_same_rows(records: tuple[LibraryCase, ...]) -> None:
    table = review_table(apply_filters(records, [parse_filter("bone=true")]))
    md = render_markdown(table, "Bone")
    csv_text = render_csv(table)
    assert md.startswith("## Bone (n = 28)")
    assert "| **age, years** | 60 (50-68); range 30-79; n = 25 |" in md
    lines = csv_text.strip().splitlines()
    assert lines[0] == "section,item,n,percent,median,q1,q3,min,max"
    assert len(lines) - 1 == len(table.rows)
    assert "patients,patients,28,100" in csv_text


def test_four_plots_are_written_as_png_and_svg(
    records: tuple[LibraryCase, ...], tmp_path: Path
) -> None:
    written = write_plots(records, tmp_path / "plots")
    names = sorted(p.name for p in written)
    assert names == sorted(
        f"{n}.{f}"
        for n in ("age_distribution", "primary_sites", "lesion_types", "kaplan_meier")
        for f in ("png", "svg")
    )
    for p in written:
        head = p.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if p.suffix == ".png" else b"<svg" in p.read_bytes()


def test_kaplan_meier_without_follow_up_still_writes_a_plot(tmp_path: Path) -> None:
    case = LibraryCase(case_id="x", citation={"url": "https://example.org/x"})  # type: ignore[arg-type]
    written = write_plots([case], tmp_path, ("png",))
    assert len(written) == 4
