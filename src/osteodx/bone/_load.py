"""Load and validate the bone data files once per process."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from pydantic import BaseModel

from osteodx.bone._errors import BoneDataError, BoneInputError
from osteodx.bone._schema import NenConventionFile, ScoreDeclaration, TreatmentFile
from osteodx.knowledge._data import load, validate

__all__ = [
    "SCORE_NAMES",
    "list_scores",
    "nen_conventions",
    "score_declaration",
    "treatment_data",
]

M = TypeVar("M", bound=BaseModel)

# The order in which scores are listed (CLI, docs, assessment).
SCORE_NAMES: tuple[str, ...] = ("mirels", "sins", "tokuhashi", "tomita", "katagiri", "bauer")


def _read(folder: str, name: str, model: type[M]) -> M:
    return load(f"bone/{folder}/{name}", model)


def _validate(raw: Any, model: type[M], where: str) -> M:
    """``raw`` as ``model``, or a ``DataError`` naming the file and every problem."""
    return validate(raw, model, where)


@functools.cache
def _declarations() -> dict[str, ScoreDeclaration]:
    out: dict[str, ScoreDeclaration] = {}
    for name in SCORE_NAMES:
        decl = _read("scores", f"{name}.yaml", ScoreDeclaration)
        if decl.id != name:
            raise BoneDataError(f"bone/scores/{name}.yaml: id is {decl.id!r}, expected {name!r}")
        out[name] = decl
    return out


def list_scores() -> tuple[ScoreDeclaration, ...]:
    """Every score declaration, in the order Mirels, SINS, Tokuhashi, Tomita, Katagiri, Bauer."""
    return tuple(_declarations().values())


def score_declaration(name: str) -> ScoreDeclaration:
    """The declaration of one score (``mirels``, ``sins``, ``tokuhashi``, ``tomita``, ...).

    >>> score_declaration("mirels").total_max
    12
    """
    key = name.strip().lower()
    decl = _declarations().get(key)
    if decl is None:
        raise BoneInputError(
            "score",
            f"{name!r} is not a known score",
            f"use one of: {', '.join(SCORE_NAMES)}",
            SCORE_NAMES,
        )
    return decl


@functools.cache
def treatment_data() -> TreatmentFile:
    """The treatment options, trials and eligibility rules (``data/treatments.yaml``)."""
    return _read("data", "treatments.yaml", TreatmentFile)


@functools.cache
def nen_conventions() -> NenConventionFile:
    """How a NEN maps onto the scores' primary-tumour items (``data/nen_conventions.yaml``)."""
    data = _read("data", "nen_conventions.yaml", NenConventionFile)
    for rule in data.rules:
        decl = _declarations().get(rule.score)
        item = next((i for i in decl.items if i.name == rule.item), None) if decl else None
        values = {c.value for c in item.choices} if item else set()
        if rule.value not in values:
            raise BoneDataError(
                f"bone/data/nen_conventions.yaml: {rule.score}.{rule.item}={rule.value} "
                "is not a declared value"
            )
        if rule.when is not None and rule.when not in data.switches:
            raise BoneDataError(f"bone/data/nen_conventions.yaml: unknown switch {rule.when}")
    return data
