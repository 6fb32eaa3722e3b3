"""YAML for the data files shipped in the package: libyaml's C loader when PyYAML has it (several
times faster, which shows in the CLI's cold start), else the pure-Python safe loader. Case files
written by users are read by ``case/_read.py`` with PyYAML's own safe loader and its messages."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["load_shipped_yaml"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_shipped_yaml(text: str) -> Any:
    """Parse a shipped YAML data file (safe: plain data only)."""
    return yaml.load(text, Loader=_Loader)
