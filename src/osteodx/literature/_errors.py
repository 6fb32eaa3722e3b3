"""Errors of the case library: each names where the problem is and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LibraryError", "RecordProblem"]


class LibraryError(Exception):
    """Bad input or an unusable library: ``message`` (with the field or position) and ``fix``."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(f"{message}; fix: {fix}")
        self.message = message
        self.fix = fix


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """One record of an import file that was skipped: where it is, what is wrong, what to do."""

    position: str
    field: str
    message: str
    fix: str

    def text(self) -> str:
        return f"{self.position}: {self.field}: {self.message}; fix: {self.fix}"
