"""Problems found while reading a case, each naming the field and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CaseInputError", "Issue"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in a user's document: where it is, what is wrong and what to do."""

    level: Literal["error", "warning"]
    loc: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}; {self.fix}"


class CaseInputError(Exception):
    """A case could not be read. ``issues`` lists every error (and warning) found."""

    def __init__(self, source: str, issues: tuple[Issue, ...]) -> None:
        self.source = source
        self.issues = issues
        errors = [i for i in issues if i.level == "error"]
        first = errors[0] if errors else (issues[0] if issues else None)
        super().__init__(f"{source}: {first}" if first else source)

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.level == "error")
