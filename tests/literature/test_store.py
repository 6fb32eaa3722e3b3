"""The store: created, migrated and seeded on first use; SQLite (WAL) by default, any URL by choice.

Expected counts come from the shipped data's README (src/osteodx/literature/data/cases-README.md,
copied from shared/data/nen-case-library): 79 published patients.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa

from osteodx.literature import Library, LibraryError, default_url, open_library

SHIPPED = resources.files("osteodx.literature").joinpath("data/cases.jsonl")


def test_new_library_is_seeded_with_every_shipped_published_case(library: Library) -> None:
    assert library.count() == 79
    shipped = [json.loads(line) for line in SHIPPED.read_text("utf-8").splitlines()]
    assert set(library.ids()) == {c["case_id"] for c in shipped}
    seed = library.get("nen-002")
    assert seed.citation.doi == "10.1097/MD.0000000000008567"
    assert seed.bone_lesion_type == "osteoblastic"


def test_every_shipped_case_keeps_its_citation(library: Library) -> None:
    for record in library.cases():
        c = record.citation
        assert c.pmid or c.doi or c.url, record.case_id


def test_reopening_a_library_does_not_seed_or_migrate_twice(db_url: str) -> None:
    first = open_library(db_url)
    rev = first.revision()
    first.close()
    again = open_library(db_url)
    assert again.count() == 79
    assert again.revision() == rev
    with again.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    again.close()


def test_sqlite_library_is_in_wal_mode(tmp_path: Path) -> None:
    lib = open_library(f"sqlite:///{tmp_path / 'lib.sqlite'}")
    with lib.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    lib.close()


def test_default_library_is_a_sqlite_file_in_the_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OSTEODX_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = default_url()
    assert url == f"sqlite:///{tmp_path / 'data' / 'osteodx' / 'library.sqlite'}"
    lib = open_library()
    assert lib.count() == 79
    lib.close()
    assert (tmp_path / "data" / "osteodx" / "library.sqlite").is_file()


def test_osteodx_db_variable_chooses_the_library(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv("OSTEODX_DB", f"sqlite:///{target}")
    lib = open_library()
    lib.close()
    assert target.is_file()


def test_unreachable_database_names_the_url_and_the_fix() -> None:
    with pytest.raises(LibraryError) as info:
        open_library("postgresql://nobody:secret@127.0.0.1:1/none")
    assert "cannot open the case library at postgresql+psycopg://nobody:***@127.0.0.1:1/none" in (
        info.value.message
    )
    assert "secret" not in str(info.value)
    assert "OSTEODX_DB" in info.value.fix


def test_malformed_database_url_is_refused_with_examples() -> None:
    with pytest.raises(LibraryError) as info:
        open_library("not a url")
    assert "is not a URL" in info.value.message
    assert "sqlite:///" in info.value.fix


def test_unknown_database_driver_is_refused() -> None:
    with pytest.raises(LibraryError) as info:
        open_library("nosuchdb://host/x")
    assert "nosuchdb" in info.value.message


def test_compiled_vectors_are_cached_per_revision(library: Library) -> None:
    first = library.compiled()
    assert library.compiled() is first
    assert first.matrix.shape[0] == 79


def test_shipped_head_revision_matches_the_newest_migration() -> None:
    """The fast 'already migrated' check must know the newest migration."""
    from importlib import resources

    from osteodx.literature._store import HEAD_REVISION

    versions = resources.files("osteodx.literature").joinpath("migrations", "versions")
    names = sorted(p.name for p in versions.iterdir() if p.name[:4].isdigit())
    assert names[-1].startswith(HEAD_REVISION)
