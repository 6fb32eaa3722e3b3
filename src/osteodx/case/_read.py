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


def parse_document(data: Any, source: str, context: ReadingContext | None = None) -> Case:
    """Read an already-parsed JSON/YAML document (FHIR Bundle, phenopacket or case form)."""
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
            data = json.loads(text)
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
            data = yaml.safe_load(text)
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
