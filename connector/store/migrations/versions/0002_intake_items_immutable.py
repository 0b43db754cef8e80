"""intake_items rows are immutable: the database refuses UPDATE and DELETE on them

What arrived is evidence for auditors, so not even a bug or a hand-typed SQL
statement may change or remove it quietly. (Erasure after the retention period
will come as its own, audited migration path.)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "intake_items rows are immutable"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION intake_items_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}';
            END $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER intake_items_immutable BEFORE UPDATE OR DELETE ON intake_items
            FOR EACH ROW EXECUTE FUNCTION intake_items_refuse_change()
        """)
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER intake_items_no_{event.lower()} BEFORE {event} ON intake_items
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
            """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER intake_items_immutable ON intake_items")
        op.execute("DROP FUNCTION intake_items_refuse_change()")
    else:
        op.execute("DROP TRIGGER intake_items_no_update")
        op.execute("DROP TRIGGER intake_items_no_delete")
