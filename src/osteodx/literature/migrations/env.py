"""Alembic environment: runs on the connection osteodx hands over, or on ``sqlalchemy.url``.

osteodx runs the migrations itself whenever a library is opened, so users never call Alembic.
A developer can still drive Alembic with ``script_location`` set to this folder and
``-x url=<SQLAlchemy URL>`` (or OSTEODX_DB).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from osteodx.literature._tables import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("OSTEODX_DB")
    if not url:
        raise SystemExit("give the database URL: alembic -x url=... or OSTEODX_DB")
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
