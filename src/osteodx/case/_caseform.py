"""Reader for the compact, hand-written YAML case form (see examples/founding-case.yaml)."""

from __future__ import annotations

from typing import Any

from osteodx.case._build import CaseBuilder, ReadingContext
from osteodx.case._model import Case
from osteodx.case._sections import (
    read_bone_section,
    read_pathology_section,
    read_results_section,
)

__all__ = ["CASE_FORM_FIELDS", "parse_case_form"]

CASE_FORM_FIELDS = (
    "id",
    "age",
    "sex",
    "findings",
    "excluded",
    "labs",
    "exposures",
    "history",
    "treatments",
    "notes",
    "pathology",
    "bone",
    "results",
)


def _as_list(b: CaseBuilder, value: Any, loc: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    b.error(loc, "must be a list", f"write {loc} as a YAML list ('- item' lines)")
    return []


def parse_case_form(data: Any, source: str, context: ReadingContext | None = None) -> Case:
    b = CaseBuilder(source, context)
    if not isinstance(data, dict):
        b.error(
            "(document)",
            "a case form must be a YAML mapping",
            "start with lines such as 'id: my-case', 'age: 30', 'sex: male'",
        )
        return b.build()
    for key in data:
        if key not in CASE_FORM_FIELDS:
            b.error(str(key), f"unknown field {key!r}", "use only: " + ", ".join(CASE_FORM_FIELDS))
    case_id = data.get("id")
    if case_id is None or not str(case_id).strip():
        b.error("id", "missing required field 'id'", "add a line such as 'id: patient-1'")
    else:
        b.case_id = str(case_id).strip()
    if "age" in data:
        b.set_age(data["age"], "age")
    if "sex" in data:
        b.set_sex(data["sex"], "sex")

    for i, item in enumerate(_as_list(b, data.get("findings"), "findings")):
        b.add_term(item, True, f"findings[{i}]", origin="form")
    for i, item in enumerate(_as_list(b, data.get("excluded"), "excluded")):
        b.add_term(item, False, f"excluded[{i}]", origin="form")

    labs = data.get("labs") or {}
    if not isinstance(labs, dict):
        b.error(
            "labs",
            "must be a mapping of test name to value",
            "write lines like 'alkaline phosphatase: 350 U/L'",
        )
        labs = {}
    for name, raw in labs.items():
        b.add_lab_text(str(name), raw, f"labs.{name}")

    for field in ("exposures", "history", "treatments"):
        for i, item in enumerate(_as_list(b, data.get(field), field)):
            present = True
            if isinstance(item, str) and item.strip().lower().startswith("no "):
                present, item = False, item.strip()[3:]
            b.add_named(item, field.rstrip("s"), present, f"{field}[{i}]")

    read_pathology_section(b, data.get("pathology"))
    read_bone_section(b, data.get("bone"))
    read_results_section(b, data.get("results"))

    notes = data.get("notes")
    if notes is not None:
        if isinstance(notes, str):
            b.description = notes
            b.add_text(notes, "notes")
        else:
            b.error(
                "notes", "must be text", "write notes as a YAML string (use '|' for paragraphs)"
            )
    return b.build()
