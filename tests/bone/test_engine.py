"""The generic score engine: missing items, ranges, parsing, request models, declarations."""

from __future__ import annotations

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from osteodx.bone import (
    SCORE_NAMES,
    BoneInputError,
    ScoreDeclaration,
    compute_score,
    list_scores,
    parse_assignments,
    score_declaration,
    score_request_model,
    worked_examples,
)


def test_six_scores_are_declared_in_order() -> None:
    assert SCORE_NAMES == ("mirels", "sins", "tokuhashi", "tomita", "katagiri", "bauer")
    assert tuple(d.id for d in list_scores()) == SCORE_NAMES


def test_missing_item_gives_cannot_compute_with_needs_and_range() -> None:
    """M6 without pain: 3 + 3 + 3 + (1..3) = 10-12, always >= 9 (reference 1.1-1.2)."""
    r = compute_score("mirels", {"site": "peritrochanteric", "lesion": "lytic", "size": "gt_2_3"})
    assert r.status == "cannot_compute" and not r.computed
    assert r.total is None and r.category is None
    assert r.missing == ("pain",)
    assert r.total_range == (10, 12)
    assert [c.id for c in r.possible_categories] == ["ge_9"]
    assert r.items[1].value is None and r.items[1].points is None


def test_missing_items_span_every_category_they_can_reach() -> None:
    r = compute_score("mirels", {"site": "lower_limb"})
    assert r.missing == ("pain", "lesion", "size")
    assert r.total_range == (5, 11)
    assert [c.id for c in r.possible_categories] == ["le_7", "eq_8", "ge_9"]


def test_nothing_given_spans_the_declared_range_for_every_score() -> None:
    for decl in list_scores():
        r = compute_score(decl.id, {})
        assert r.total_range == (decl.total_min, decl.total_max)
        assert r.possible_categories == decl.categories
        assert r.missing == tuple(i.name for i in decl.items)


def test_reachable_totals_are_exact_not_just_the_interval() -> None:
    """Tomita primary is 1, 2 or 4: with visceral none and bone solitary the totals are 2, 3, 5."""
    r = compute_score("tomita", {"visceral": "none", "bone": "solitary"})
    assert r.total_range == (2, 5)
    assert [c.id for c in r.possible_categories] == ["long_term", "middle_term"]


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_empty_value_counts_as_missing_never_as_a_default(empty: str | None) -> None:
    r = compute_score(
        "mirels", {"site": "upper_limb", "pain": empty, "lesion": "blastic", "size": "lt_1_3"}
    )
    assert r.missing == ("pain",)


def test_values_are_matched_case_insensitively_and_aliases_resolve() -> None:
    r = compute_score(
        "tokuhashi",
        {
            "kps": "90",
            "extraspinal": "0",
            "vertebrae": "1",
            "visceral": "NONE",
            "primary": "Esophagus",
            "frankel": "E",
        },
    )
    assert r.items[3].value == "none"
    assert r.items[4].value == "oesophagus" and r.items[4].points == 0
    assert r.items[5].value == "e"


def test_unknown_item_is_rejected_with_the_item_list() -> None:
    with pytest.raises(BoneInputError) as exc:
        compute_score("mirels", {"site": "upper_limb", "location": "junctional"})
    assert exc.value.field == "mirels.location"
    assert exc.value.accepted == ("site", "pain", "lesion", "size")
    assert "site=upper_limb|lower_limb|peritrochanteric" in exc.value.fix


def test_unknown_score_is_rejected_with_the_score_list() -> None:
    with pytest.raises(BoneInputError) as exc:
        compute_score("karnofsky", {})
    assert exc.value.field == "score" and exc.value.accepted == SCORE_NAMES


@pytest.mark.parametrize("bad", [True, "3.5", "three", "1e2"])
def test_number_item_refuses_anything_but_a_whole_number(bad: object) -> None:
    with pytest.raises(BoneInputError) as exc:
        compute_score("katagiri", {"ecog": bad})  # type: ignore[dict-item]
    assert exc.value.field == "katagiri.ecog"


def test_number_item_accepts_int_and_text() -> None:
    assert compute_score("katagiri", {"ecog": 3}).items[3].points == 1
    assert compute_score("katagiri", {"ecog": " 3 "}).items[3].points == 1


def test_parse_assignments_reads_item_equals_value() -> None:
    assert parse_assignments("mirels", ["site=upper_limb", "Pain = mild"]) == {
        "site": "upper_limb",
        "pain": "mild",
    }


@pytest.mark.parametrize("word", ["siteupper_limb", "=upper_limb"])
def test_parse_assignments_refuses_a_word_without_item_equals(word: str) -> None:
    with pytest.raises(BoneInputError) as exc:
        parse_assignments("mirels", [word])
    assert "ITEM=VALUE" in exc.value.message and "pain=mild|moderate|functional" in exc.value.fix


def test_parse_assignments_refuses_an_item_given_twice() -> None:
    with pytest.raises(BoneInputError) as exc:
        parse_assignments("mirels", ["site=upper_limb", "site=lower_limb"])
    assert exc.value.field == "mirels.site"


def test_request_model_is_built_from_the_declaration() -> None:
    model = score_request_model("mirels")
    assert issubclass(model, BaseModel)
    assert set(model.model_fields) == {"site", "pain", "lesion", "size"}
    req = model(site="upper_limb", pain="mild", lesion="blastic", size="lt_1_3")
    r = compute_score("mirels", req.model_dump(exclude_none=True))
    assert r.total == 4
    with pytest.raises(ValidationError):
        model(site="arm")
    with pytest.raises(ValidationError):
        model(location="junctional")


def test_request_model_bounds_number_items() -> None:
    model = score_request_model("tokuhashi")
    assert model(kps=60).model_dump(exclude_none=True) == {"kps": 60}
    for bad in (0, 110, 45):
        with pytest.raises(ValidationError):
            model(kps=bad)
    schema = model.model_json_schema()
    assert "Karnofsky" in schema["properties"]["kps"]["description"]


def test_every_worked_example_of_the_reference_is_equal() -> None:
    """Reference sections 1.4, 2.4, 3.5, 4.5, 5.5, 6.5: 42 rows (S4 at L5 and B7 both ways)."""
    rows = worked_examples()
    assert len(rows) == 42
    assert all(r.equal for r in rows), [r for r in rows if not r.equal]


def _raw(name: str) -> dict[str, object]:
    from importlib import resources

    text = resources.files("osteodx.bone").joinpath("scores", f"{name}.yaml").read_text()
    data: dict[str, object] = yaml.safe_load(text)
    return data


def test_a_declaration_whose_categories_leave_a_gap_is_refused() -> None:
    raw = _raw("mirels")
    cats = list(raw["categories"])  # type: ignore[call-overload]
    cats[1] = {**cats[1], "min": 9, "max": 9}
    with pytest.raises(ValidationError, match="tile"):
        ScoreDeclaration.model_validate({**raw, "categories": cats})


def test_a_declaration_whose_total_range_disagrees_with_the_items_is_refused() -> None:
    with pytest.raises(ValidationError, match="items give totals"):
        ScoreDeclaration.model_validate({**_raw("sins"), "total_max": 19})


def test_a_declared_value_that_is_not_shell_friendly_is_refused() -> None:
    raw = _raw("mirels")
    items = list(raw["items"])  # type: ignore[call-overload]
    first = dict(items[0])
    first["choices"] = [{"value": "Upper limb", "label": "x", "points": 1}, *first["choices"][1:]]
    items[0] = first
    with pytest.raises(ValidationError, match="lower-case"):
        ScoreDeclaration.model_validate({**raw, "items": items})


def test_every_item_declares_help_a_source_and_at_least_two_values() -> None:
    for decl in list_scores():
        for item in decl.items:
            assert item.help.strip() and item.source
            assert len(item.points) >= 2 or len(item.bands) >= 2, (decl.id, item.name)


def test_score_declaration_is_cached_and_case_insensitive() -> None:
    assert score_declaration("SINS") is score_declaration("sins")
