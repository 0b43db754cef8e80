"""Hub capabilities: what the hub's OpenAPI document offers, per-report polling time,
the reconciliation method

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_capabilities",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("offered", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hub_checked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("reconcile_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("method", sa.String(length=16), nullable=False, server_default="digests")
        )


def downgrade() -> None:
    with op.batch_alter_table("reconcile_runs", schema=None) as batch_op:
        batch_op.drop_column("method")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("hub_checked_at")
    op.drop_table("hub_capabilities")
