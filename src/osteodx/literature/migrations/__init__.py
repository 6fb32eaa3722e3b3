"""Alembic migrations of the case library (run by :func:`osteodx.literature.open_library`)."""
