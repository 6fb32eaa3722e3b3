"""Where the case library lives, and the schema revision it must be at. Light on purpose: the
similar-patient search of a single assessment reads an existing SQLite library without importing
SQLAlchemy (``_snapshot.py``)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

__all__ = ["ENV_VAR", "HEAD_REVISION", "default_url", "sqlite_file"]

ENV_VAR = "OSTEODX_DB"

# The newest migration shipped; a library already there skips importing and running Alembic.
HEAD_REVISION = "0001"


def default_url() -> str:
    """``OSTEODX_DB`` if set, else an SQLite file in the user's data directory."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("osteodx", appauthor=False))
    return f"sqlite:///{folder / 'library.sqlite'}"


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL (no driver, no options), else None."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = unquote(url[len(prefix) :])  # as SQLAlchemy reads it: percent-decoded, no "~"
    if not path or path == ":memory:":
        return None
    return Path(path)
