"""The read-only SQLite view used by a single assessment: same answers as the full library, and
None (so the full library is opened) whenever the file is not an existing, current library."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from osteodx.case import read_case
from osteodx.literature import open_library, profile_from_case, similar_cases
from osteodx.literature._snapshot import open_snapshot

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'library.sqlite'}"
    open_library(url).close()  # create, migrate and seed it
    return url


def _sql(url: str, statement: str) -> None:
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
        conn.execute(statement)
        conn.commit()


@pytest.mark.parametrize("example", ["founding-case.yaml", "founding-case-biopsy.yaml"])
def test_snapshot_finds_the_same_patients_as_the_library(sqlite_url: str, example: str) -> None:
    profile = profile_from_case(read_case(EXAMPLES / example))
    snapshot = open_snapshot(sqlite_url)
    assert snapshot is not None
    library = open_library(sqlite_url)
    try:
        expected = similar_cases(library, profile, top=10)
    finally:
        library.close()
    assert similar_cases(snapshot, profile, top=10) == expected


def test_snapshot_is_refused_for_a_missing_file_or_another_database(tmp_path: Path) -> None:
    assert open_snapshot(f"sqlite:///{tmp_path / 'none.sqlite'}") is None
    assert open_snapshot("sqlite:///:memory:") is None
    assert open_snapshot("postgresql+psycopg://user@localhost/osteodx") is None
    not_a_db = tmp_path / "text.sqlite"
    not_a_db.write_text("not a database", encoding="utf-8")
    assert open_snapshot(f"sqlite:///{not_a_db}") is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE alembic_version SET version_num = '0000'",
        "DELETE FROM library_meta WHERE key = 'seeded'",
        "UPDATE library_meta SET value = '999' WHERE key = 'vector_version'",
    ],
)
def test_snapshot_is_refused_when_the_library_needs_the_full_open(
    sqlite_url: str, statement: str
) -> None:
    _sql(sqlite_url, statement)
    assert open_snapshot(sqlite_url) is None


def test_text_similarity_needs_the_full_library(sqlite_url: str) -> None:
    snapshot = open_snapshot(sqlite_url)
    assert snapshot is not None
    profile = profile_from_case(read_case(EXAMPLES / "founding-case.yaml"))
    with pytest.raises(TypeError, match="needs an open Library"):
        similar_cases(snapshot, profile, text=True)


def test_assessment_with_an_existing_library_does_not_load_sqlalchemy(sqlite_url: str) -> None:
    script = (
        "import json, sys, osteodx\n"
        "a = osteodx.assess(osteodx.read_case(sys.argv[1]), similar=3, db=sys.argv[2])\n"
        "ids = [p.case_id for p in a.similar_patients]\n"
        "print(json.dumps([ids, 'sqlalchemy' in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(EXAMPLES / "founding-case.yaml"), sqlite_url],
        capture_output=True,
        text=True,
        check=True,
    )
    ids, loaded = json.loads(out.stdout)
    assert ids and ids[0] == "nen-001"
    assert loaded is False


def test_a_read_error_after_opening_falls_back_to_the_full_library(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import osteodx
    from osteodx.literature._snapshot import LibrarySnapshot

    def locked(self: LibrarySnapshot, case_ids: object) -> object:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(LibrarySnapshot, "get_many", locked)
    case = osteodx.read_case(EXAMPLES / "founding-case.yaml")
    assessment = osteodx.assess(case, similar=3, db=sqlite_url)
    assert [p.case_id for p in assessment.similar_patients][:1] == ["nen-001"]


def test_sqlite_urls_are_read_as_sqlalchemy_reads_them() -> None:
    from osteodx.literature._location import sqlite_file

    assert sqlite_file("sqlite:////data/my%20library.sqlite") == Path("/data/my library.sqlite")
    assert sqlite_file("sqlite:///rel.sqlite") == Path("rel.sqlite")
    assert sqlite_file("sqlite:///~/lib.sqlite") == Path("~/lib.sqlite")  # no home expansion
    assert sqlite_file("sqlite:///lib.sqlite?mode=ro") is None
    assert sqlite_file("sqlite+pysqlite:///lib.sqlite") is None


def test_a_database_error_in_the_full_library_becomes_a_note(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    import osteodx
    from osteodx.literature import _snapshot
    from osteodx.literature._store import Library

    def locked(self: Library) -> object:
        raise sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(_snapshot, "open_snapshot", lambda url=None: None)
    monkeypatch.setattr(Library, "compiled", locked)
    case = osteodx.read_case(EXAMPLES / "founding-case.yaml")
    assessment = osteodx.assess(case, similar=3, db=sqlite_url)
    assert assessment.similar_patients == ()
    assert assessment.similar_patients_note.startswith("case library unavailable")
    assert "database is locked" in assessment.similar_patients_note
