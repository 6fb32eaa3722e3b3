"""Open a case file, detect its format and hand it to the right reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from osteodx.case._build import ReadingContext
from osteodx.case._caseform import parse_case_form
from osteodx.case._fhir import looks_like_fhir_bundle, parse_fhir_bundle
from osteodx.case._issues import CaseInputError, Issue
from osteodx.case._model import Case
from osteodx.case._phenopacket import looks_like_phenopacket, parse_phenopacket

__all__ = ["parse_document", "parse_text", "read_case"]

MAX_FILE_BYTES = 20_000_000


def _fail(source: str, loc: str, message: str, fix: str) -> CaseInputError:
    return CaseInputError(source, (Issue("error", loc, message, fix),))


class DuplicateKeyError(json.JSONDecodeError):
    """A JSON object or YAML mapping names the same key twice (the last would silently win)."""

    def __init__(self, key: str, doc: str = "", pos: int = 0, line: int | None = None) -> None:
        super().__init__(f"the key {key!r} appears twice in one object", doc, pos)
        self.key = key
        self.line = line


def refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json.loads``: a key given twice is an error, not a choice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(key)
        out[key] = value
    return out


class _StrictSafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a mapping that names a key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: let the base class report it
                break
            if duplicate:
                raise DuplicateKeyError(str(key), line=key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def broken_text(data: Any, path: str = "") -> str | None:
    """The path of the first string (or key) holding an unpaired UTF-16 surrogate, if any."""
    stack: list[tuple[Any, str]] = [(data, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return where or "(document)"
        elif isinstance(node, dict):
            for key, value in node.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and broken_text(key) is not None:
                    return where or "(document)"
                stack.append((value, name))
        elif isinstance(node, list):
            stack.extend((value, f"{where}[{i}]") for i, value in enumerate(node))
    return None


def parse_document(data: Any, source: str, context: ReadingContext | None = None) -> Case:
    """Read an already-parsed JSON/YAML document (FHIR Bundle, phenopacket or case form)."""
    broken = broken_text(data)
    if broken is not None:
        raise _fail(
            source,
            broken,
            "holds an unpaired UTF-16 surrogate (a broken character)",
            "send valid UTF-8 text (the character may have been cut from an emoji or a copy)",
        )
    if looks_like_fhir_bundle(data):
        return parse_fhir_bundle(data, source, context)
    if looks_like_phenopacket(data):
        return parse_phenopacket(data, source, context)
    return parse_case_form(data, source, context)


def read_case(path: str | Path, context: ReadingContext | None = None) -> Case:
    """Read a phenopacket (JSON or YAML) or a case form (YAML) into a :class:`Case`.

    Raises :class:`CaseInputError` naming the file, the field and the fix.
    """
    p = Path(path)
    source = str(p)
    try:
        if p.exists() and not p.is_dir() and not p.is_file():
            raise _fail(
                source,
                "(file)",
                "is not a regular file (a pipe, socket or device)",
                "give a case file, or pipe JSON lines to `osteodx rank -`",
            )
        if p.stat().st_size > MAX_FILE_BYTES:
            raise _fail(source, "(file)", "file is larger than 20 MB", "give one case per file")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(source, "(file)", "file not found", "check the path") from None
    except IsADirectoryError:
        raise _fail(source, "(file)", "is a folder", "give a case file") from None
    except UnicodeDecodeError:
        raise _fail(
            source, "(file)", "not UTF-8 text", "save the file as UTF-8 JSON or YAML"
        ) from None
    except OSError as exc:
        raise _fail(
            source, "(file)", f"cannot be read ({exc.strerror})", "check the file"
        ) from None
    return parse_text(text, source, context, json_expected=p.suffix.lower() == ".json")


def parse_text(
    text: str, source: str, context: ReadingContext | None = None, json_expected: bool = False
) -> Case:
    data: Any
    if json_expected or text.lstrip().startswith("{"):
        try:
            data = json.loads(text, object_pairs_hook=refuse_duplicate_keys)
        except DuplicateKeyError as exc:
            raise _fail(
                source,
                f"key {exc.key!r}",
                str(exc.msg),
                "keep one value per key (a repeated key would silently replace the first)",
            ) from None
        except json.JSONDecodeError as exc:
            raise _fail(
                source,
                f"line {exc.lineno} column {exc.colno}",
                f"malformed JSON ({exc.msg})",
                "fix the JSON syntax at that position",
            ) from None
        except RecursionError:
            raise _fail(
                source,
                "(document)",
                "the JSON is nested too deeply to read",
                "give one phenopacket, case form or FHIR Bundle",
            ) from None
    else:
        try:
            data = yaml.load(text, Loader=_StrictSafeLoader)
        except DuplicateKeyError as exc:
            raise _fail(
                source,
                f"line {exc.line}" if exc.line else f"key {exc.key!r}",
                str(exc.msg),
                "keep one value per key (a repeated key would silently replace the first)",
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "(document)"
            problem = getattr(exc, "problem", None) or "syntax error"
            raise _fail(
                source,
                where,
                f"malformed YAML ({problem})",
                "fix the YAML syntax at that position (indentation, ':' after keys)",
            ) from None
        except RecursionError:
            raise _fail(
                source,
                "(document)",
                "the YAML is nested too deeply to read",
                "give one phenopacket or case form",
            ) from None
        except (ValueError, TypeError, IndexError, OverflowError) as exc:
            # PyYAML's value constructors raise these for e.g. an impossible date (2025-13-45),
            # an empty !!float or bad !!binary.
            raise _fail(
                source,
                "(document)",
                f"malformed YAML: a value cannot be read ({type(exc).__name__}: {exc})"[:300],
                "correct the value (dates as YYYY-MM-DD; quote text that looks like a number "
                "or a date)",
            ) from None
    if data is None:
        raise _fail(source, "(document)", "the file is empty", "give a phenopacket or a case form")
    return parse_document(data, source, context)
