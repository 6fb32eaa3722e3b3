"""Alembic revision scripts of the case library."""
