"""Load and validate the NEN data files once per process; normalise user-typed names."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from osteodx._yaml import load_shipped_yaml
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


class NenDataError(RuntimeError):
    """A NEN data file is malformed (a packaging or review error, not user input)."""


def _read(name: str, model: type[M]) -> M:
    text = resources.files("osteodx.nen").joinpath("data", name).read_text(encoding="utf-8")
    raw: Any = load_shipped_yaml(text)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise NenDataError(f"nen/data/{name}: {loc}: {first['msg']}") from None


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
