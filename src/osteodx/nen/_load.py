"""Load and validate the NEN data files once per process; normalise user-typed names."""

from __future__ import annotations

import functools
from typing import TypeVar

from pydantic import BaseModel

from osteodx.knowledge._data import DataError, load
from osteodx.nen._schema import (
    CirculatingFile,
    ClueFile,
    GradingFile,
    ImagingFile,
    SiteMarkerFile,
    StagingFile,
    name_key,
)

__all__ = [
    "NenDataError",
    "circulating",
    "clues",
    "grading",
    "imaging",
    "name_key",
    "site_markers",
    "staging",
]

M = TypeVar("M", bound=BaseModel)


# One error type for every shipped data file (knowledge/_data.py).
NenDataError = DataError


def _read(name: str, model: type[M]) -> M:
    return load(f"nen/data/{name}", model)


@functools.cache
def grading() -> GradingFile:
    """The WHO grading declaration (``data/grading.yaml``)."""
    return _read("grading.yaml", GradingFile)


@functools.cache
def staging() -> StagingFile:
    """The metastatic staging declaration (``data/staging.yaml``)."""
    return _read("staging.yaml", StagingFile)


@functools.cache
def site_markers() -> SiteMarkerFile:
    """Marker frequencies by site, priors and model settings (``data/site_markers.yaml``)."""
    return _read("site_markers.yaml", SiteMarkerFile)


@functools.cache
def clues() -> ClueFile:
    """Clinical clues for the site of origin (``data/site_clues.yaml``)."""
    return _read("site_clues.yaml", ClueFile)


@functools.cache
def imaging() -> ImagingFile:
    """Imaging work-up by grade (``data/imaging.yaml``)."""
    return _read("imaging.yaml", ImagingFile)


@functools.cache
def circulating() -> CirculatingFile:
    """Circulating markers and their confounders (``data/circulating.yaml``)."""
    return _read("circulating.yaml", CirculatingFile)
