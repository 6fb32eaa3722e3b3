"""The one way shipped data is read: ``load(path, Model)`` and one error type, ``DataError``.

Every YAML or TSV file shipped in the package (knowledge base, NEN and bone declarations, case
library settings, terminology maps, the citation policy) is read here. A file that does not
validate gives one ``DataError`` listing *every* problem, each with the file, the path a reviewer
reads (``findings[3] (HP:0011001).frequency``) and the YAML line, so that one run shows all that
needs fixing. Nothing here runs at import time; callers cache what they load.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from osteodx._yaml import load_shipped_yaml

__all__ = [
    "DataError",
    "data_file",
    "data_path",
    "load",
    "load_raw",
    "read_data_text",
    "validate",
]

M = TypeVar("M", bound=BaseModel)


class DataError(Exception):
    """A shipped data file is unreadable or invalid (a packaging or review error, not user
    input). The message names the file, each problem's path and line, and what is wrong."""


def data_file(path: str) -> Traversable:
    """A shipped file, by its path inside the ``osteodx`` package (``nen/data/grading.yaml``)."""
    return resources.files("osteodx").joinpath(*path.split("/"))


def data_path(path: str) -> AbstractContextManager[Path]:
    """A shipped file or folder as a path on disk, for readers that need one (the case-library
    seed, the library's migration scripts): ``with data_path("literature/data/cases.jsonl") as p``.
    """
    return resources.as_file(data_file(path))


def read_data_text(path: str | Path | Traversable) -> str:
    """The text of a shipped file (or of a file given by path, for tests and review copies)."""
    node = data_file(path) if isinstance(path, str) else path
    try:
        return node.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{_name(path)}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataError(f"{_name(path)}: not UTF-8 text; save it as UTF-8") from None


def load_raw(path: str | Path | Traversable) -> Any:
    """A shipped YAML file as plain data (a ``DataError`` with the line on a syntax error)."""
    text = read_data_text(path)
    try:
        return load_shipped_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataError(f"{_name(path)}{where}: not valid YAML: {problem}") from None


def load(path: str | Path | Traversable, model: type[M]) -> M:
    """A shipped YAML file validated as ``model``; every problem reported at once."""
    raw = load_raw(path)
    return validate(raw, model, _name(path), text=_text_or_none(path))


def validate(raw: Any, model: type[M], name: str, *, text: str | None = None) -> M:
    """``raw`` as ``model``, or a ``DataError`` listing every problem with its reviewer path
    (and its YAML line when the file's ``text`` is given)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = _line_index(text) if text is not None else None
        problems = [_describe(err, raw, lines) for err in exc.errors()]
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        raise DataError(f"{name}: {count}:\n  " + "\n  ".join(problems)) from None


def _name(path: str | Path | Traversable) -> str:
    if isinstance(path, str):
        return path
    parts = Path(str(path)).parts
    # Show the path from the package down (knowledge/data/labs.yaml), as a reviewer finds it.
    if "osteodx" in parts:
        return "/".join(parts[len(parts) - parts[::-1].index("osteodx") :])
    return "/".join(parts[-3:])


def _text_or_none(path: str | Path | Traversable) -> str | None:
    try:
        return read_data_text(path)
    except DataError:
        return None


def _reviewer_path(loc: Sequence[int | str], raw: Any) -> str:
    """``findings.3.frequency`` as ``findings[3] (HP:0011001).frequency``."""
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            label = _label(node)
            if label:
                out += f" ({label})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _label(node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    for key in ("finding", "id", "key", "name", "marker"):
        value = node.get(key)
        if isinstance(value, str):
            return value
    return None


def _line_index(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def _line_of(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the deepest node of ``loc`` that exists in the file."""
    node = root
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _describe(err: Any, raw: Any, lines: yaml.Node | None) -> str:
    # pydantic adds the tag of a union member ("count", "judgement") to the location; a reviewer
    # reads the path of the file, so members that are not keys of the data are left out.
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    loc = _file_path(loc, raw)
    line = _line_of(lines, loc) if lines is not None else None
    at = f" (line {line})" if line else ""
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{_reviewer_path(loc, raw) or '(top level)'}{at}: {message}"


def _file_path(loc: list[int | str], raw: Any) -> list[int | str]:
    out: list[int | str] = []
    node = raw
    for part in loc:
        tag = part in ("count", "statement", "judgement")
        if isinstance(node, dict) and isinstance(part, str) and part not in node and tag:
            continue  # a union member's tag, not a key of the file
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return out
