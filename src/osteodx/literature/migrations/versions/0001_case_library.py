"""Case library: published patients, their vectors, text embeddings and library metadata.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("pmid", sa.String(16), nullable=True),
        sa.Column("doi", sa.String(256), nullable=True),
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
    op.create_index("ix_cases_pmid", "cases", ["pmid"])
    op.create_index("ix_cases_doi", "cases", ["doi"])
    op.create_table(
        "case_text_vectors",
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


def downgrade() -> None:
    op.drop_table("case_text_vectors")
    op.drop_index("ix_cases_doi", table_name="cases")
    op.drop_index("ix_cases_pmid", table_name="cases")
    op.drop_table("cases")
    op.drop_table("library_meta")
