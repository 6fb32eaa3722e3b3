"""The Python API: read a case, assess it, rank many. The CLI and other front-ends call these."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np

from osteodx._workup import bone_section, nen_section
from osteodx.assessment import Assessment, FeatureComparison, SimilarPatient
from osteodx.case import Case
from osteodx.differential import compiled_kb, explain, next_tests, posterior, scope, score

if TYPE_CHECKING:
    from osteodx.nen import NenWorkup

__all__ = ["assess", "rank", "ranking_line"]


def _version() -> str:
    try:
        return metadata.version("osteodx")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def _pathology_profile(nen: NenWorkup | None) -> dict[str, Any]:
    """The pathology of the case in the case library's vocabulary (unknown names left out)."""
    if nen is None:
        return {}
    from osteodx.literature._config import vocabularies

    v = vocabularies()
    c = nen.classification
    p = nen.pathology
    out: dict[str, Any] = {"histology": c.family, "grade": c.grade, "ki67_percent": p.ki67_percent}
    ihc = {name: status for name, status in p.markers if status != "not_done"}
    out["ihc"] = {n: s for n, s in ihc.items() if v["ihc"].canonical(n) is not None}
    if p.site not in ("unknown", "other"):
        out["primary_site"] = p.site
    return out


def _similar_patients(
    case: Case, top: int, db: str | None, nen: NenWorkup | None = None
) -> tuple[tuple[SimilarPatient, ...], str]:
    from osteodx.literature._errors import LibraryError
    from osteodx.literature._features import profile_from_case
    from osteodx.literature._search import similar_cases
    from osteodx.literature._snapshot import open_snapshot

    profile = profile_from_case(case, **_pathology_profile(nen))
    # An existing SQLite library is read directly; otherwise the full library is opened (which
    # creates, migrates and seeds it, or says why it cannot).
    matches = None
    snapshot = open_snapshot(db)
    if snapshot is not None:
        try:
            matches = similar_cases(snapshot, profile, top=top)
        except (sqlite3.Error, KeyError, ValueError):
            # Locked, or changed between reads (a pydantic error is a ValueError): the full
            # library reads it again or says what is wrong.
            matches = None
    if matches is None:
        from sqlalchemy.exc import SQLAlchemyError

        from osteodx.literature._store import open_library

        try:
            library = open_library(db)
            try:
                matches = similar_cases(library, profile, top=top)
            finally:
                library.close()
        except LibraryError as exc:
            return (), f"case library unavailable: {exc.message}"
        except SQLAlchemyError as exc:
            reason = str(exc).strip().splitlines()[0]
            return (), f"case library unavailable: {reason}"

    def comparisons(items: Iterable[Any]) -> tuple[FeatureComparison, ...]:
        return tuple(FeatureComparison(i.field, i.query, i.case, float(i.score)) for i in items)

    return tuple(
        SimilarPatient(
            m.case_id,
            m.citation,
            float(m.similarity),
            comparisons(m.matched),
            comparisons(m.differed),
        )
        for m in matches
    ), ""


def assess(case: Case, tests: int = 8, similar: int = 0, db: str | None = None) -> Assessment:
    """The explained differential and the next best tests for one case.

    ``similar`` > 0 also looks up that many similar published patients in the case library
    (``db``: any SQLAlchemy URL; default ``OSTEODX_DB`` or the library in the user data folder).
    """
    kb = compiled_kb()
    differential = explain(case, kb)
    post = np.array([0.0] * kb.K)
    index = {key: k for k, key in enumerate(kb.keys)}
    for d in differential.diagnoses:
        post[index[d.key]] = d.posttest
    nen = nen_section(case)
    patients, note = _similar_patients(case, similar, db, nen) if similar > 0 else ((), "")
    return Assessment(
        case=case,
        similar_patients=patients,
        similar_patients_note=note,
        differential=differential,
        next_tests=next_tests(case, post, kb, limit=tests),
        knowledge_version=kb.knowledge.version,
        hpo_version=kb.hpo.version,
        osteodx_version=_version(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        nen=nen,
        bone=bone_section(case, nen),
    )


def ranking_line(case: Case) -> dict[str, Any]:
    """One JSON Lines record: every condition ranked, best first, with the scope flag."""
    kb = compiled_kb()
    post = posterior(score(case, kb))
    order = np.argsort(-post, kind="stable")
    in_scope, _ = scope(case, kb)
    line: dict[str, Any] = {
        "case_id": case.case_id,
        "in_scope": in_scope,
        "ranking": [
            {"key": kb.keys[k], "name": kb.names[k], "probability": round(float(post[k]), 6)}
            for k in order
        ],
    }
    if case.warnings:  # what was not read (an unknown code skipped ...): a cohort run keeps a trace
        line["warnings"] = reading_warnings(case)
    return line


def reading_warnings(case: Case) -> list[str]:
    """The case's reading warnings as short lines for a ranking record."""
    return [f"{w.loc}: {w.message}" for w in case.warnings]


def rank(cases: Iterable[Case]) -> Iterator[dict[str, Any]]:
    """Rank a stream of cases lazily, one record per case."""
    for case in cases:
        yield ranking_line(case)
