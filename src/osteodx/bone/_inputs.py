"""The bone section of a case: score items as entered and the treatment-context fields.

A case form writes it as one mapping::

    bone:
      mirels: {site: lower_limb, pain: moderate, lesion: blastic, size: lt_1_3}
      katagiri: {ecog: 1, chemo: "no"}
      sstr_krenning: 3
      progression: no

Keys that name a score hold that score's items; every other key is a field of
:class:`TreatmentContext`. Everything is validated here, so that a bad value is refused when
the case is read (naming ``bone.mirels.size`` and the accepted values), not when it is scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from osteodx.bone._engine import Value, compute_score
from osteodx.bone._errors import BoneInputError
from osteodx.bone._load import SCORE_NAMES
from osteodx.bone._treatment import (
    TreatmentContext,
    context_fields,
    treatment_context_from_mapping,
)

__all__ = ["BoneInputs", "bone_inputs_from_mapping"]


class BoneInputs(BaseModel):
    """Score items as entered (``scores``: score -> item -> value) and the treatment context."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scores: tuple[tuple[str, tuple[tuple[str, Value], ...]], ...] = ()
    context: TreatmentContext = Field(default_factory=lambda: TreatmentContext.model_validate({}))

    def items(self, score: str) -> dict[str, Value]:
        """The items entered for one score (empty when none were)."""
        for name, pairs in self.scores:
            if name == score:
                return dict(pairs)
        return {}


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) if value else "none"
    return str(value)


def _item_value(value: object) -> Value:
    if isinstance(value, bool):
        # YAML reads an unquoted no/yes as a boolean; the score items spell them as words.
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return str(value).strip()


def bone_inputs_from_mapping(data: Mapping[str, Any], *, loc: str = "bone") -> BoneInputs:
    """Read the ``bone`` section of a case form; errors name ``loc.key`` and the fix."""
    scores: list[tuple[str, tuple[tuple[str, Value], ...]]] = []
    context: dict[str, str | None] = {}
    fields = tuple(f.name for f in context_fields())
    for raw_key, value in data.items():
        key = str(raw_key).strip().lower().replace("-", "_")
        if key in SCORE_NAMES:
            if not isinstance(value, Mapping):
                raise BoneInputError(
                    f"{loc}.{raw_key}",
                    "must map the score's items to values",
                    f"write e.g. '{key}: {{item: value, ...}}' (see osteodx score {key} --help)",
                )
            items = {str(k).strip(): _item_value(v) for k, v in value.items() if v is not None}
            try:
                compute_score(key, items)  # validates item names and values
            except BoneInputError as exc:
                raise BoneInputError(
                    f"{loc}.{exc.field}", exc.message, exc.fix, exc.accepted
                ) from None
            scores.append((key, tuple(sorted(items.items()))))
        elif key in fields:
            context[key] = _text(value)
        else:
            accepted = (*SCORE_NAMES, *fields)
            raise BoneInputError(
                f"{loc}.{raw_key}",
                "is neither a score nor a treatment-context field",
                f"use a score name ({', '.join(SCORE_NAMES)}) or a context field "
                "(osteodx treatments --help lists them)",
                accepted,
            )
    try:
        ctx = treatment_context_from_mapping(context)
    except BoneInputError as exc:
        raise BoneInputError(f"{loc}.{exc.field}", exc.message, exc.fix, exc.accepted) from None
    return BoneInputs(scores=tuple(scores), context=ctx)
