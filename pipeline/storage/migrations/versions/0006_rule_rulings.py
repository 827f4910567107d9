"""rule_rulings: a person's 認める / 認めない on a finding only a person can judge

Revision ID: 0006_rule_rulings
Revises: 0005
Create Date: 2026-12-03 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import pipeline.storage.types

revision = "0006_rule_rulings"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_rulings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=48), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "judged",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("facts_ja", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", pipeline.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_rule_rulings_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_rulings")),
    )
    with op.batch_alter_table("rule_rulings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_rulings_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rule_rulings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_rulings_application_id"))
    op.drop_table("rule_rulings")
