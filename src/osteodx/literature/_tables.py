"""The library's tables (SQLAlchemy Core); the schema is created by the Alembic migrations."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["case_text_vectors", "cases", "library_meta", "metadata"]

metadata = sa.MetaData()

library_meta = sa.Table(
    "library_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("pmid", sa.String(16), nullable=True, index=True),
    sa.Column("doi", sa.String(256), nullable=True, index=True),
    sa.Column("url", sa.Text(), nullable=True),
    sa.Column("year", sa.Integer(), nullable=True),
    sa.Column("age", sa.Float(), nullable=True),
    sa.Column("sex", sa.String(8), nullable=True),
    sa.Column("primary_site", sa.String(128), nullable=True),
    sa.Column("histology", sa.String(32), nullable=True),
    sa.Column("grade", sa.String(4), nullable=True),
    sa.Column("bone_lesion_type", sa.String(16), nullable=True),
    sa.Column("status", sa.String(8), nullable=True),
    sa.Column("origin", sa.String(256), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
    sa.Column("vector", sa.LargeBinary(), nullable=False),
)

case_text_vectors = sa.Table(
    "case_text_vectors",
    metadata,
    sa.Column(
        "case_id",
        sa.String(64),
        sa.ForeignKey("cases.case_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("model", sa.String(64), primary_key=True),
    sa.Column("text_sha", sa.String(64), nullable=False),
    sa.Column("vector", sa.LargeBinary(), nullable=False),
)
