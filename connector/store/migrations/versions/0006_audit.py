"""audit log, reconciliation runs and findings, retention erasure

The audit log is append-only in the database itself (UPDATE and DELETE refused), and
intake_items now allow exactly one change: retention erasing a payload.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.String(length=600), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_ref"), ["ref"], unique=False)

    op.create_table(
        "reconcile_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("buckets", sa.Integer(), nullable=False),
        sa.Column("ours", sa.Integer(), nullable=False),
        sa.Column("theirs", sa.Integer(), nullable=False),
        sa.Column("differing_buckets", sa.Integer(), nullable=False),
        sa.Column("bytes_exchanged", sa.Integer(), nullable=False),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("repair", sa.Boolean(), nullable=False),
        sa.Column("checkpoint_seq", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reconcile_findings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("source_ref", sa.String(length=512), nullable=False),
        sa.Column(
            "ours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "theirs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("repair", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconcile_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reconcile_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reconcile_findings_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("intake_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))

    _immutable(upgrade=True)


def downgrade() -> None:
    _immutable(upgrade=False)
    with op.batch_alter_table("intake_items", schema=None) as batch_op:
        batch_op.drop_column("erased_at")

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("erased_at")

    with op.batch_alter_table("reconcile_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconcile_findings_run_id"))

    op.drop_table("reconcile_findings")
    op.drop_table("reconcile_runs")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_ref"))

    op.drop_table("audit_log")


INTAKE_MESSAGE = "intake_items rows are immutable"
AUDIT_MESSAGE = "audit_log is append-only"
_UNCHANGED = (
    "channel_id",
    "external_id",
    "payload_sha256",
    "media_type",
    "meta",
    "received_at",
    "stored_at",
    "outcome",
    "fingerprint",
)


def _pg_intake_function() -> str:
    same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in _UNCHANGED)
    return f"""
        CREATE OR REPLACE FUNCTION intake_items_refuse_change() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL
               AND NEW.payload = ''::bytea AND {same} THEN
                RETURN NEW;  -- retention erasing a payload: the one change allowed
            END IF;
            RAISE EXCEPTION '{INTAKE_MESSAGE}';
        END $$ LANGUAGE plpgsql"""


def _sqlite_intake_trigger() -> str:
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _UNCHANGED)
    return f"""
        CREATE TRIGGER intake_items_no_update BEFORE UPDATE ON intake_items
        WHEN NOT (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND NEW.payload = X'' AND {same})
        BEGIN SELECT RAISE(ABORT, '{INTAKE_MESSAGE}'); END"""


def _immutable(upgrade: bool) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        if upgrade:
            op.execute(_pg_intake_function())
            op.execute(f"""CREATE FUNCTION audit_log_refuse_change() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '{AUDIT_MESSAGE}'; END $$ LANGUAGE plpgsql""")
            op.execute("""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()""")
        else:
            op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
            op.execute("DROP FUNCTION audit_log_refuse_change()")
            op.execute(f"""CREATE OR REPLACE FUNCTION intake_items_refuse_change() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '{INTAKE_MESSAGE}'; END $$ LANGUAGE plpgsql""")
        return
    op.execute("DROP TRIGGER IF EXISTS intake_items_no_update")
    if upgrade:
        op.execute(_sqlite_intake_trigger())
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log
                BEGIN SELECT RAISE(ABORT, '{AUDIT_MESSAGE}'); END""")
    else:
        op.execute(f"""CREATE TRIGGER intake_items_no_update BEFORE UPDATE ON intake_items
            BEGIN SELECT RAISE(ABORT, '{INTAKE_MESSAGE}'); END""")
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
