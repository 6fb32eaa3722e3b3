"""Library fixtures: every store test runs on SQLite, and on PostgreSQL when
OSTEODX_TEST_POSTGRES_URL names a server (``tests/literature/postgres.sh start`` prints one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from osteodx.literature import Library, open_library

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
PG_ENV = "OSTEODX_TEST_POSTGRES_URL"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get(PG_ENV) else [])


def _pg_database() -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards."""
    base = sa.make_url(os.environ[PG_ENV]).set(drivername="postgresql+psycopg")
    name = f"osteodx_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'library.sqlite'}"
    else:
        yield from _pg_database()


@pytest.fixture
def library(db_url: str) -> Iterator[Library]:
    lib = open_library(db_url)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One seeded SQLite library shared by read-only tests (URL)."""
    path = tmp_path_factory.mktemp("lib") / "library.sqlite"
    open_library(f"sqlite:///{path}").close()
    return f"sqlite:///{path}"
