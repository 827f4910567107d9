"""rule findings: details and letter kind

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-28 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rule_findings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "details",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("letter_kind", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rule_findings", schema=None) as batch_op:
        batch_op.drop_column("letter_kind")
        batch_op.drop_column("details")
