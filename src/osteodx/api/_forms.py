"""The web case form: its fields, their conversion to a case-form document, and error placement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FORM_FIELDS", "WebForm", "errors_by_field"]

FORM_FIELDS = (
    "case_id",
    "age",
    "sex",
    "findings",
    "excluded",
    "labs",
    "exposures",
    "history",
    "notes",
)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(";", "\n").splitlines() if line.strip()]


@dataclass(frozen=True, slots=True)
class WebForm:
    """What the user typed, kept as typed so the page can show it again after an error."""

    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def to_document(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The case-form document, and errors found before reading it (field -> message)."""
        errors: dict[str, str] = {}
        doc: dict[str, Any] = {"id": self.get("case_id").strip() or "web-case"}
        if self.get("age").strip():
            doc["age"] = self.get("age").strip()
        if self.get("sex").strip():
            doc["sex"] = self.get("sex").strip()
        for name in ("findings", "excluded", "exposures", "history"):
            items = _lines(self.get(name))
            if items:
                doc[name] = items
        labs: dict[str, str] = {}
        for line in _lines(self.get("labs")):
            name, sep, value = line.partition(":")
            if not sep or not name.strip() or not value.strip():
                errors["labs"] = (
                    f"'{line}' is not 'name: value unit'; write e.g. "
                    "'alkaline phosphatase: 350 U/L'"
                )
                continue
            labs[name.strip()] = value.strip()
        if labs:
            doc["labs"] = labs
        if self.get("notes").strip():
            doc["notes"] = self.get("notes")
        return doc, errors


def errors_by_field(issues: list[tuple[str, str]]) -> dict[str, str]:
    """Map case-form issue locations (``findings[2]``, ``labs.calcium.unit``) to form fields."""
    out: dict[str, str] = {}
    for loc, message in issues:
        head = loc.split("[")[0].split(".")[0]
        name = "case_id" if head == "id" else head
        if name not in FORM_FIELDS:
            name = "notes" if name == "notes" else "case_id"
        out[name] = (out[name] + " " if name in out else "") + message
    return out
