"""The case library's errors name the database and the reason, never a password or a record."""

from __future__ import annotations

from pathlib import Path

import pytest

from osteodx.literature import LibraryError, open_library
from osteodx.literature._store import hide_secrets

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    "text",
    [
        "postgresql+psycopg://user:pw123@host/db",
        "postgresql://user@host/db?password=pw123&sslmode=require",
        "host=db.example user=me password=pw123 dbname=lib",
        "host=db.example password='pw123' dbname=lib",
    ],
)
def test_a_password_is_masked_in_every_form(text: str) -> None:
    from osteodx.literature._store import _make_engine

    shown = hide_secrets(text)
    assert "pw123" not in shown
    try:
        engine = _make_engine(text)
    except LibraryError as exc:
        assert "pw123" not in str(exc)
    else:
        from osteodx.literature._store import _hide

        assert "pw123" not in _hide(engine.url)
        engine.dispose()


def test_importing_into_a_read_only_library_prints_no_record(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite"
    open_library(f"sqlite:///{path}").close()
    # The same file opened read-only: every write fails inside SQLite.
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    try:
        lib = open_library(read_only)
        with pytest.raises(LibraryError) as exc:
            lib.import_file(FIXTURES / "phenopacket.json", None)
        message = str(exc.value)
        lib.close()
    except LibraryError as exc_open:  # refused when opening: also a clean message
        message = str(exc_open)
    assert "readonly" in message.replace("-", "").replace(" ", "") or "read" in message
    assert "INSERT" not in message and "[parameters" not in message
    assert "Phenopacket" not in message
