"""A read-only view of an existing SQLite case library through the standard library's sqlite3.

Opening a :class:`~osteodx.literature.Library` imports SQLAlchemy (about 0.2 s), which is most of
the similar-patient step of a single ``osteodx assess``. When the library is an SQLite file that
is already migrated, seeded and encoded with the current vector layout, the search only needs the
stacked vectors and a few records, which this view reads directly. Anything else (no file yet, an
older schema, another vector version, a server database, any sqlite3 error) returns None, and the
caller opens the full :class:`~osteodx.literature.Library`, which creates, migrates, seeds or
reports the problem.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import numpy as np

from osteodx.literature._config import similarity_config
from osteodx.literature._features import layout
from osteodx.literature._location import HEAD_REVISION, default_url, sqlite_file
from osteodx.literature._record import LibraryCase
from osteodx.literature._similarity import CompiledLibrary

__all__ = ["LibrarySnapshot", "open_snapshot"]


class LibrarySnapshot:
    """The cases of an SQLite library as read once: ids, stacked vectors and records on demand."""

    def __init__(self, path: Path, compiled: CompiledLibrary) -> None:
        self.path = path
        self._compiled = compiled

    def compiled(self) -> CompiledLibrary:
        return self._compiled

    def get_many(self, case_ids: Sequence[str]) -> dict[str, LibraryCase]:
        out: dict[str, LibraryCase] = {}
        with closing(_connect(self.path)) as conn:
            for start in range(0, len(case_ids), 500):
                chunk = list(case_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT case_id, record FROM cases WHERE case_id IN ({marks})", chunk
                )
                for case_id, record in rows:
                    out[case_id] = LibraryCase.model_validate_json(record)
        return out


def _connect(path: Path) -> sqlite3.Connection:
    # A short wait: when a writer holds the file, the full library (which waits longer) is next.
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=2)


def open_snapshot(url: str | None = None) -> LibrarySnapshot | None:
    """A read-only view of the library at ``url`` (default: :func:`default_url`), or None when
    the library is not an existing, current SQLite file."""
    path = sqlite_file(url or default_url())
    if path is None or not path.is_file():
        return None
    try:
        with closing(_connect(path)) as conn:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if version is None or version[0] != HEAD_REVISION:
                return None
            meta = dict(conn.execute("SELECT key, value FROM library_meta").fetchall())
            if "seeded" not in meta:
                return None
            if meta.get("vector_version") != str(similarity_config().vector_version):
                return None
            rows = conn.execute("SELECT case_id, vector FROM cases ORDER BY case_id").fetchall()
    except sqlite3.Error:
        return None
    width = layout().width
    ids = [str(r[0]) for r in rows]
    buffer = b"".join(bytes(r[1]) for r in rows)
    if len(buffer) != len(ids) * width * 4:
        return None  # vectors of another layout: the full library re-encodes them
    matrix = np.frombuffer(buffer, dtype=np.float32).reshape(len(ids), width)
    return LibrarySnapshot(path, CompiledLibrary(ids, matrix))
