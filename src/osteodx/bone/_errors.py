"""The error types of the bone package: bad user input, and malformed data files."""

from __future__ import annotations

from collections.abc import Iterable

from osteodx.knowledge._data import DataError

__all__ = ["BoneDataError", "BoneInputError"]


class BoneInputError(ValueError):
    """Bad input to a score or to the treatment options.

    ``field`` is where the problem is (``mirels.size``, ``ki67_percent``, ``mirels``), ``message``
    what is wrong, ``accepted`` the accepted values (may be empty) and ``fix`` what to do. The
    fields map one to one onto ``osteodx.case.Issue(level, loc, message, fix)``.
    """

    def __init__(self, field: str, message: str, fix: str, accepted: Iterable[str] = ()) -> None:
        self.field = field
        self.message = message
        self.fix = fix
        self.accepted = tuple(accepted)
        super().__init__(f"{field}: {message}; fix: {fix}")


# One error type for every shipped data file (knowledge/_data.py).
BoneDataError = DataError
