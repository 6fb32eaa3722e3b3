"""Similarity settings (``data/similarity.yaml``): weights, scales, partial credit, vocabularies."""

from __future__ import annotations

import re
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from osteodx.knowledge._data import load
from osteodx.knowledge._schema import Sourced

__all__ = ["COMPONENTS", "SimilarityConfig", "Vocabulary", "similarity_config"]

COMPONENTS: tuple[str, ...] = (
    "age",
    "sex",
    "bone_involvement",
    "lesion_type",
    "distribution",
    "bone_sites",
    "other_metastases",
    "primary_site",
    "histology",
    "grade_ki67",
    "ihc",
    "markers",
    "text",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Weights(Sourced):
    values: dict[str, float]

    @field_validator("values")
    @classmethod
    def _all_components(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != set(COMPONENTS):
            raise ValueError(f"weights must name exactly {COMPONENTS}")
        if any(w < 0 for w in value.values()):
            raise ValueError("weights must not be negative")
        return value


class Scales(Sourced):
    age_sd_years: float = Field(gt=0)
    ki67_log10_span: float = Field(gt=0)
    matched_threshold: float = Field(gt=0, le=1)


class Vocabulary:
    """Canonical names, their synonyms, and a word matcher for labels and free text."""

    def __init__(self, entries: dict[str, list[str]]) -> None:
        self.names: tuple[str, ...] = tuple(entries)
        self.index: dict[str, int] = {n: i for i, n in enumerate(self.names)}
        self._exact: dict[str, str] = {}
        phrases: list[tuple[str, str]] = []
        for name, words in entries.items():
            self._exact[_key(name)] = name
            for w in words:
                self._exact.setdefault(_key(w), name)
                phrases.append((w.lower().replace("_", " "), name))
        phrases.sort(key=lambda p: -len(p[0]))
        self._patterns = tuple(
            (re.compile(r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9])"), n) for p, n in phrases
        )

    def canonical(self, raw: str) -> str | None:
        """The canonical name of a record's term (exact or synonym), or None outside the list."""
        return self._exact.get(_key(raw))

    def find(self, text: str) -> tuple[str, ...]:
        """Canonical names whose words occur in a label or sentence, in vocabulary order."""
        low = text.lower().replace("_", " ")
        found = {name for pattern, name in self._patterns if pattern.search(low)}
        return tuple(n for n in self.names if n in found)


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


class SimilarityConfig(_Frozen):
    vector_version: int = Field(ge=1)
    weights: Weights
    scales: Scales
    partial: dict[str, tuple[tuple[str, str, float], ...]]
    bone_sites: dict[str, list[str]]
    distribution_words: dict[str, list[str]]
    other_metastases: dict[str, list[str]]
    ihc_markers: dict[str, list[str]]
    circulating_markers: dict[str, list[str]]

    @field_validator("partial")
    @classmethod
    def _partial(
        cls, value: dict[str, tuple[tuple[str, str, float], ...]]
    ) -> dict[str, tuple[tuple[str, str, float], ...]]:
        for key, pairs in value.items():
            if key not in ("lesion_type", "distribution", "histology"):
                raise ValueError(f"partial credit for {key!r} is not supported")
            for a, b, s in pairs:
                if not 0 <= s <= 1:
                    raise ValueError(f"partial credit {a}/{b} must be between 0 and 1")
        return value

    def pair_score(self, kind: str, a: str, b: str) -> float:
        if a == b:
            return 1.0
        for x, y, s in self.partial.get(kind, ()):
            if {x, y} == {a, b}:
                return s
        return 0.0


@cache
def similarity_config() -> SimilarityConfig:
    """The validated settings, loaded once per process."""
    return load("literature/data/similarity.yaml", SimilarityConfig)


@cache
def vocabularies() -> dict[str, Vocabulary]:
    cfg = similarity_config()
    return {
        "bone_sites": Vocabulary(cfg.bone_sites),
        "distribution": Vocabulary(cfg.distribution_words),
        "other_metastases": Vocabulary(cfg.other_metastases),
        "ihc": Vocabulary(cfg.ihc_markers),
        "markers": Vocabulary(cfg.circulating_markers),
    }
