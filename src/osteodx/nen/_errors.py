"""The one error type of the NEN package: names the field, the accepted values and the fix."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["NenInputError"]


class NenInputError(ValueError):
    """Bad input to a NEN function.

    ``field`` is where the problem is (``ki67_percent``, ``markers.TTF9``, ``--site``),
    ``message`` what is wrong, ``accepted`` the accepted values (may be empty) and ``fix`` what
    to do. The fields map one to one onto ``osteodx.case.Issue(level, loc, message, fix)``.
    """

    def __init__(self, field: str, message: str, fix: str, accepted: Iterable[str] = ()) -> None:
        self.field = field
        self.message = message
        self.fix = fix
        self.accepted = tuple(accepted)
        super().__init__(f"{field}: {message}; fix: {fix}")


def choice_error(field: str, value: object, accepted: Iterable[str], what: str) -> NenInputError:
    """The error for a value that is not one of the accepted names."""
    names = tuple(accepted)
    return NenInputError(
        field,
        f"{value!r} is not a known {what}",
        f"use one of: {', '.join(names)}",
        names,
    )
