"""The published-case library, opened once per server process (not once per request)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from osteodx.case import Case

if TYPE_CHECKING:
    from osteodx.literature import Library, SimilarCase

__all__ = ["LibraryHolder"]


class LibraryHolder:
    """Opens the library at ``db`` on first use and keeps it; ``LibraryError`` propagates."""

    def __init__(self, db: str | None) -> None:
        self.db = db
        self._library: Library | None = None

    def get(self) -> Library:
        if self._library is None:
            from osteodx.literature import open_library

            self._library = open_library(self.db)
        return self._library

    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None

    def similar(self, case: Case, top: int) -> tuple[SimilarCase, ...]:
        """Library patients like ``case``, matched on its pathology too when it has a report
        (histology, grade, Ki-67, IHC, known primary: the same profile as ``osteodx.assess``)."""
        from osteodx._api import _pathology_profile
        from osteodx._workup import nen_section
        from osteodx.literature import profile_from_case, similar_cases

        pathology = _pathology_profile(nen_section(case)) if case.pathology is not None else {}
        return similar_cases(self.get(), profile_from_case(case, **pathology), top=top)
