"""The bone section of an assessment: every score (computed, or what it still needs) and the
treatment options, from the items entered plus the values derived from the rest of the case.

Derived values (a NEN's primary-tumour item, Katagiri's laboratory item from measured labs,
treatment-context fields from the pathology) are listed with their reason and source so that a
reader sees what osteodx filled in; an entered value always wins over a derived one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from osteodx.bone._engine import ScoreResult, Value, compute_score
from osteodx.bone._inputs import BoneInputs
from osteodx.bone._load import SCORE_NAMES
from osteodx.bone._treatment import TreatmentContext, TreatmentOptions, treatment_options

__all__ = ["BoneAssessment", "DerivedValue", "assess_bone"]


class DerivedValue(BaseModel):
    """A score item or context field that osteodx filled in from the case, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str  # 'katagiri.lab' or 'context.family'
    value: str
    reason: str
    source: str | None = None
    convention: bool = False


class AlternativeReading(BaseModel):
    """A score computed again with one item read the other way its table allows."""

    model_config = ConfigDict(frozen=True)

    score: str
    item: str
    value: str
    reading: str
    result: ScoreResult


class BoneAssessment(BaseModel):
    """Scores and treatment options for one case. Options to discuss; never a prescription."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scores: tuple[ScoreResult, ...]
    alternatives: tuple[AlternativeReading, ...] = ()
    derived: tuple[DerivedValue, ...]
    treatments: TreatmentOptions | None

    def score(self, name: str) -> ScoreResult:
        for s in self.scores:
            if s.score == name:
                return s
        raise KeyError(name)


def assess_bone(
    inputs: BoneInputs | None,
    derived_items: Iterable[tuple[DerivedValue, Value]] = (),
    derived_context: Iterable[tuple[DerivedValue, Any]] = (),
    *,
    with_treatments: bool = True,
    alternatives: Iterable[tuple[str, str, str]] = (),
) -> BoneAssessment:
    """All six scores and (``with_treatments``) the options, entered values before derived ones.

    ``derived_items`` pairs a :class:`DerivedValue` whose target is ``score.item`` with the
    value to use; ``derived_context`` one whose target is ``context.field``. A derived value
    that an entered one overrides is dropped from the list.
    """
    inputs = inputs or BoneInputs()
    used: list[DerivedValue] = []
    values: dict[str, dict[str, Value]] = {name: inputs.items(name) for name in SCORE_NAMES}
    for d, value in derived_items:
        score, _, item = d.target.partition(".")
        if item not in values[score]:
            values[score][item] = value
            used.append(d)
    scores = tuple(compute_score(name, values[name]) for name in SCORE_NAMES)
    # ``alternatives``: (score.item, value, what that reading is); an entered value wins.
    readings = []
    for target, value, reading in alternatives:
        score, _, item = target.partition(".")
        if item in inputs.items(score):
            continue
        result = compute_score(score, {**values[score], item: value})
        readings.append(
            AlternativeReading(score=score, item=item, value=value, reading=reading, result=result)
        )

    entered = inputs.context.model_dump(exclude_none=True)
    context: dict[str, Any] = dict(entered)
    for d, value in derived_context:
        field = d.target.removeprefix("context.")
        if field not in context and value is not None:
            context[field] = value
            used.append(d)
    for name, field in (("mirels", "mirels_total"), ("sins", "sins_total")):
        result = next(s for s in scores if s.score == name)
        if field not in context and result.total is not None:
            context[field] = result.total
            used.append(
                DerivedValue(
                    target=f"context.{field}",
                    value=str(result.total),
                    reason=f"computed {result.name} above",
                    source=result.source,
                )
            )
    treatments = (
        treatment_options(TreatmentContext.model_validate(context)) if with_treatments else None
    )
    return BoneAssessment(
        scores=scores, alternatives=tuple(readings), derived=tuple(used), treatments=treatments
    )
