"""One generic engine for every score declared in ``bone/scores/*.yaml``.

``compute_score(name, values)`` resolves each value against the declaration (aliases and
case are forgiven, anything undeclared is refused with the accepted values), adds the points
and finds the category. A missing item is never given a default: the result says which items
are needed and the totals and categories still reachable over them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from osteodx.bone._errors import BoneInputError
from osteodx.bone._load import list_scores, score_declaration
from osteodx.bone._schema import Category, Item, ScoreDeclaration

__all__ = [
    "ItemScore",
    "ScoreResult",
    "WorkedExampleCheck",
    "accepted_values",
    "compute_score",
    "parse_assignments",
    "score_request_model",
    "worked_examples",
]

Value = str | int
_INT = re.compile(r"^[+-]?\d+$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ItemScore(_Frozen):
    """One item of a result: the value given (None = missing) and its points."""

    name: str
    label: str
    value: Value | None
    value_label: str | None
    points: int | None
    possible_points: tuple[int, ...]
    convention: str | None = None


class ScoreResult(_Frozen):
    """A computed score, or what is missing to compute it.

    ``status`` is ``computed`` (``total`` and ``category`` set) or ``cannot_compute``
    (``missing`` names the items needed; ``total_range`` and ``possible_categories`` are what
    the missing items still allow). For a computed score ``total_range`` is ``(total, total)``
    and ``possible_categories`` is ``(category,)``.
    """

    score: str
    name: str
    direction: Literal["higher_worse", "higher_better"]
    status: Literal["computed", "cannot_compute"]
    items: tuple[ItemScore, ...]
    total: int | None
    total_range: tuple[int, int]
    category: Category | None
    possible_categories: tuple[Category, ...]
    missing: tuple[str, ...]
    conventions: tuple[str, ...]
    citation: str
    source: str | None

    @property
    def computed(self) -> bool:
        return self.status == "computed"


def accepted_values(item: Item) -> tuple[str, ...]:
    """The values an item accepts, as typed: choice values, or the integer range of a number."""
    if item.kind == "choice":
        return tuple(c.value for c in item.choices)
    assert item.number is not None
    spec = item.number
    step = f" in steps of {spec.step}" if spec.step != 1 else ""
    if spec.max is None:
        return (f"a whole number >= {spec.min}",)
    return (f"a whole number from {spec.min} to {spec.max}{step}",)


def _items_fix(decl: ScoreDeclaration) -> str:
    parts = [f"{i.name}={'|'.join(accepted_values(i))}" for i in decl.items]
    return "give ITEM=VALUE for the items " + "; ".join(parts)


def _value_error(decl: ScoreDeclaration, item: Item, raw: object, why: str) -> BoneInputError:
    accepted = accepted_values(item)
    return BoneInputError(
        f"{decl.id}.{item.name}",
        f"{raw!r} {why}",
        f"use one of: {', '.join(accepted)}" if item.kind == "choice" else f"use {accepted[0]}",
        accepted,
    )


def _resolve(decl: ScoreDeclaration, item: Item, raw: Value) -> ItemScore:
    if item.kind == "choice":
        key = str(raw).strip().lower()
        for c in item.choices:
            if key == c.value or key in (a.lower() for a in c.aliases):
                return ItemScore(
                    name=item.name,
                    label=item.label,
                    value=c.value,
                    value_label=c.label,
                    points=c.points,
                    possible_points=item.points,
                    convention=c.convention,
                )
        raise _value_error(decl, item, raw, f"is not an accepted value of {item.label}")
    assert item.number is not None
    spec = item.number
    if isinstance(raw, bool):
        raise _value_error(decl, item, raw, "is not a whole number")
    if isinstance(raw, int):
        n = raw
    else:
        text = str(raw).strip()
        if not _INT.match(text):
            raise _value_error(decl, item, raw, "is not a whole number")
        n = int(text)
    if n < spec.min or (spec.max is not None and n > spec.max):
        raise _value_error(decl, item, raw, "is out of range")
    if (n - spec.min) % spec.step:
        raise _value_error(decl, item, raw, f"is not a multiple of {spec.step}")
    for band in item.bands:
        if band.min <= n and (band.max is None or n <= band.max):
            return ItemScore(
                name=item.name,
                label=item.label,
                value=n,
                value_label=band.label,
                points=band.points,
                possible_points=item.points,
            )
    raise _value_error(decl, item, raw, "falls in no declared band")  # excluded by the schema


def _missing(raw: Value | None) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def compute_score(name: str, values: Mapping[str, Value | None]) -> ScoreResult:
    """Compute a declared score from item values (strings as typed, or ints for number items).

    Raises ``BoneInputError`` for an unknown score, an unknown item or an undeclared value; a
    missing item (absent, None or empty) gives a ``cannot_compute`` result, never a default.

    >>> r = compute_score("mirels", {"site": "upper_limb", "pain": "mild",
    ...                              "lesion": "blastic", "size": "lt_1_3"})
    >>> r.total, r.category.label
    (4, '≤ 7')
    """
    decl = score_declaration(name)
    names = {i.name for i in decl.items}
    for key in values:
        if key not in names:
            raise BoneInputError(
                f"{decl.id}.{key}",
                f"{key!r} is not an item of the {decl.name}",
                _items_fix(decl),
                tuple(i.name for i in decl.items),
            )
    scored: list[ItemScore] = []
    missing: list[str] = []
    reachable = {0}
    for item in decl.items:
        raw = values.get(item.name)
        if _missing(raw):
            missing.append(item.name)
            scored.append(
                ItemScore(
                    name=item.name,
                    label=item.label,
                    value=None,
                    value_label=None,
                    points=None,
                    possible_points=item.points,
                )
            )
            reachable = {t + p for t in reachable for p in item.points}
            continue
        assert raw is not None
        s = _resolve(decl, item, raw)
        scored.append(s)
        assert s.points is not None
        reachable = {t + s.points for t in reachable}
    possible = tuple(c for c in decl.categories if any(c.min <= t <= c.max for t in reachable))
    conventions = tuple(s.convention for s in scored if s.convention)
    low, high = min(reachable), max(reachable)
    if missing:
        return ScoreResult(
            score=decl.id,
            name=decl.name,
            direction=decl.direction,
            status="cannot_compute",
            items=tuple(scored),
            total=None,
            total_range=(low, high),
            category=None,
            possible_categories=possible,
            missing=tuple(missing),
            conventions=conventions,
            citation=decl.citation,
            source=decl.source,
        )
    (category,) = possible
    return ScoreResult(
        score=decl.id,
        name=decl.name,
        direction=decl.direction,
        status="computed",
        items=tuple(scored),
        total=low,
        total_range=(low, low),
        category=category,
        possible_categories=possible,
        missing=(),
        conventions=conventions,
        citation=decl.citation,
        source=decl.source,
    )


def parse_assignments(name: str, assignments: Iterable[str]) -> dict[str, str]:
    """Turn ``ITEM=VALUE`` words (as typed on the command line) into a mapping.

    A word without ``=``, an empty item name or an item given twice is refused with the items
    and their accepted values; values are checked by ``compute_score``.
    """
    decl = score_declaration(name)
    out: dict[str, str] = {}
    for word in assignments:
        key, sep, value = word.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep or not key:
            raise BoneInputError(
                decl.id,
                f"{word!r} is not of the form ITEM=VALUE",
                _items_fix(decl),
                tuple(i.name for i in decl.items),
            )
        if key in out:
            raise BoneInputError(
                f"{decl.id}.{key}",
                f"{key} is given twice ({out[key]!r} and {value!r})",
                "give each item once",
            )
        out[key] = value.strip()
    return out


@functools.cache
def score_request_model(name: str) -> type[BaseModel]:
    """A pydantic model of the score's inputs, built from the declaration (for the REST API).

    Every field is optional (a missing item gives a ``cannot_compute`` result); choice items
    are ``Literal`` of the declared values, number items bounded integers; unknown fields are
    refused. ``compute_score(name, model.model_dump(exclude_none=True))`` evaluates it.
    """
    decl = score_declaration(name)
    fields: dict[str, Any] = {}
    for item in decl.items:
        description = f"{item.label}. {item.help} Accepted: {', '.join(accepted_values(item))}."
        if item.kind == "choice":
            choice_type: Any = Literal[tuple(c.value for c in item.choices)]
            fields[item.name] = (choice_type | None, Field(None, description=description))
        else:
            assert item.number is not None
            spec = item.number
            fields[item.name] = (
                int | None,
                Field(
                    None,
                    description=description,
                    ge=spec.min,
                    le=spec.max,
                    multiple_of=spec.step if spec.step != 1 and spec.min % spec.step == 0 else None,
                ),
            )
    model_name = "".join(part.capitalize() for part in decl.id.split("_")) + "ScoreRequest"
    model: type[BaseModel] = create_model(
        model_name,
        __config__=ConfigDict(extra="forbid", frozen=True),
        __doc__=f"Inputs of the {decl.name}: {decl.purpose}",
        **fields,
    )
    return model


class WorkedExampleCheck(_Frozen):
    """A worked example of the reference run through the engine."""

    score: str
    example: str
    values: dict[str, Value]
    expected_total: int
    computed_total: int | None
    expected_category: str
    computed_category: str | None
    note: str

    @property
    def equal(self) -> bool:
        return (
            self.expected_total == self.computed_total
            and self.expected_category == self.computed_category
        )


def worked_examples() -> tuple[WorkedExampleCheck, ...]:
    """Every worked example declared with the scores, expected vs computed."""
    out: list[WorkedExampleCheck] = []
    for decl in list_scores():
        labels = {c.id: c.label for c in decl.categories}
        for ex in decl.examples:
            result = compute_score(decl.id, ex.values)
            out.append(
                WorkedExampleCheck(
                    score=decl.id,
                    example=ex.id,
                    values=dict(ex.values),
                    expected_total=ex.total,
                    computed_total=result.total,
                    expected_category=labels[ex.category],
                    computed_category=result.category.label if result.category else None,
                    note=ex.note,
                )
            )
    return tuple(out)
