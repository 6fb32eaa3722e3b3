"""RFC 9457 problem details: one shape for every error the API returns.

Each problem has ``errors``: a list of ``{loc, message, fix?, accepted?}`` where ``loc`` names the
field (``body.ki67``, ``query.q``, ``path.name``, or a location inside a case document such as
``phenotypicFeatures[0].type.id``) and ``accepted`` lists the accepted values when they are known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from fastapi.responses import Response
from pydantic import BaseModel

from osteodx.case import CaseInputError

__all__ = [
    "Problem",
    "ProblemItem",
    "case_problem",
    "field_problem",
    "problem",
    "validation_items",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemItem(BaseModel):
    """One thing wrong with the request: where, what, and what to do."""

    loc: str
    message: str
    fix: str | None = None
    accepted: list[str] | None = None


class Problem(BaseModel):
    """An RFC 9457 problem details object (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] | None = None
    errors_total: int | None = None


# A problem lists at most this many errors (``errors_total`` gives the full count): a request with
# thousands of bad keys must not get a response fifty times its size.
MAX_ERRORS = 20
# The accepted values of a field are listed once, on its first error.
MAX_ACCEPTED = 200


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": Problem,
        "description": "Invalid input: problem details naming the field and the accepted values",
        "content": {PROBLEM_MEDIA_TYPE: {}},
    }
}


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    errors = extra.pop("errors", None)
    if isinstance(errors, list):
        extra["errors"] = _capped(errors)
        if len(errors) > MAX_ERRORS:
            extra["errors_total"] = len(errors)
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def _capped(errors: list[Any]) -> list[Any]:
    """The first ``MAX_ERRORS`` errors; a list of accepted values given once per message."""
    out: list[Any] = []
    listed: set[tuple[str, ...]] = set()
    for item in errors[:MAX_ERRORS]:
        if isinstance(item, dict) and item.get("accepted"):
            key = tuple(item["accepted"][:MAX_ACCEPTED])
            item = dict(item)
            if key in listed:
                del item["accepted"]
            else:
                listed.add(key)
                item["accepted"] = list(key)
        out.append(item)
    return out


def _item(
    loc: str, message: str, fix: str | None = None, accepted: Sequence[str] = ()
) -> dict[str, Any]:
    item: dict[str, Any] = {"loc": loc, "message": message}
    if fix:
        item["fix"] = fix
    if accepted:
        item["accepted"] = list(accepted)
    return item


def field_problem(
    loc: str,
    message: str,
    fix: str,
    accepted: Sequence[str] = (),
    *,
    title: str = "Invalid request",
    status: int = 422,
) -> Response:
    """A problem about one field, e.g. from ``NenInputError`` or ``BoneInputError``."""
    return problem(
        status, title, f"{loc}: {message}; {fix}", errors=[_item(loc, message, fix, accepted)]
    )


def case_problem(exc: CaseInputError) -> Response:
    errors = [_item(i.loc, i.message, i.fix) for i in exc.errors]
    first = exc.errors[0] if exc.errors else None
    detail = f"{first.loc}: {first.message}; {first.fix}" if first else "the case could not be read"
    return problem(422, "The case could not be read", detail, errors=errors)


_QUOTED = re.compile(r"'([^']*)'")


def _expected(text: str) -> list[str]:
    return _QUOTED.findall(text) or [p.strip() for p in re.split(r",| or ", text) if p.strip()]


def _inner_model(annotation: Any) -> Any:
    """The pydantic model inside ``X | None``, ``tuple[X, ...]``, ``list[X]``; else None."""
    if hasattr(annotation, "model_fields"):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _walk(model: Any, path: Sequence[str | int]) -> tuple[Any, Any]:
    """(the model holding the last field of ``path``, that field's FieldInfo or None)."""
    current, info = model, None
    for i, part in enumerate(path):
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return (current if i == len(path) - 1 else None), None
        info = fields[part]
        if i < len(path) - 1:
            current = _inner_model(info.annotation)
    return current, info


def _bounds(info: Any) -> str | None:
    found: dict[str, Any] = {}
    for m in getattr(info, "metadata", ()):
        for name in ("ge", "gt", "le", "lt"):
            if getattr(m, name, None) is not None:
                found[name] = getattr(m, name)
    low = f">= {found['ge']}" if "ge" in found else (f"> {found['gt']}" if "gt" in found else "")
    high = f"<= {found['le']}" if "le" in found else (f"< {found['lt']}" if "lt" in found else "")
    return " and ".join(x for x in (low, high) if x) or None


def validation_items(errors: Iterable[Any], body_model: Any = None) -> list[dict[str, Any]]:
    """Pydantic/FastAPI validation errors as problem items with the accepted values.

    ``body_model`` (the route's request model) lets an unknown field list the known ones.
    """
    out: list[dict[str, Any]] = []
    for e in errors:
        loc_parts = list(e.get("loc", ()))
        loc = ".".join(str(p) for p in loc_parts)
        kind = e.get("type", "")
        ctx = e.get("ctx") or {}
        message = str(e.get("msg", ""))
        accepted: list[str] = []
        fix: str | None = None
        if kind in ("literal_error", "enum"):
            accepted = _expected(str(ctx.get("expected", "")))
            message = f"{e.get('input')!r} is not accepted"
            fix = "use one of: " + ", ".join(accepted)
        elif kind == "extra_forbidden":
            holder = (
                _walk(body_model, loc_parts[1:])[0]
                if loc_parts[:1] == ["body"] and body_model is not None
                else None
            )
            known = list(getattr(holder, "model_fields", {}))
            message = f"{loc_parts[-1]!r} is not a known field" if loc_parts else message
            if known:
                accepted = known
                fix = "use only: " + ", ".join(known)
            else:
                fix = "remove it or check its spelling"
        elif kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
            info = (
                _walk(body_model, loc_parts[1:])[1]
                if loc_parts[:1] == ["body"] and body_model is not None
                else None
            )
            signs = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
            limit = " and ".join(f"{signs[k]} {v}" for k, v in ctx.items() if k in signs)
            allowed = _bounds(info) or limit
            message = f"{e.get('input')!r} is out of range ({allowed})"
            fix = f"give a value {allowed}"
            accepted = [allowed]
        elif kind == "multiple_of":
            info = (
                _walk(body_model, loc_parts[1:])[1]
                if loc_parts[:1] == ["body"] and body_model is not None
                else None
            )
            allowed = " and ".join(
                x for x in (_bounds(info), f"a multiple of {ctx.get('multiple_of')}") if x
            )
            message = f"{e.get('input')!r} is not accepted"
            fix = f"give a whole number {allowed}"
            accepted = [allowed]
        elif kind == "missing":
            fix = f"add the field {loc_parts[-1]!r}" if loc_parts else None
        elif kind == "json_invalid":
            message = f"malformed JSON: {ctx.get('error', message)}"
            fix = "send a valid JSON document"
        out.append(_item(loc, message, fix, accepted))
    return out
