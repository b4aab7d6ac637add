"""the engine moves to Operaton: string ids, processed external tasks, the message outbox

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Zeebe keys were 64-bit numbers; Operaton ids are strings (UUIDs). Old keys mean nothing to the new engine.
_INSTANCE_COLUMNS = [("orders", True), ("service_tickets", True), ("installments", False)]


def upgrade() -> None:
    for table, unique in _INSTANCE_COLUMNS:
        if unique:
            op.drop_constraint(f"uq_{table}_process_instance_key", table, type_="unique")
        op.drop_column(table, "process_instance_key")
        op.add_column(table, sa.Column("process_instance_id", sa.String(length=64), nullable=True))
        if unique:
            op.create_unique_constraint(f"uq_{table}_process_instance_id", table, ["process_instance_id"])
    op.drop_table("processed_jobs")
    op.create_table(
        "processed_tasks",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("task_type", sa.String(length=120), nullable=False),
        sa.Column("business_key", sa.String(length=120), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_processed_tasks")),
    )
    op.create_index(op.f("ix_processed_tasks_business_key"), "processed_tasks", ["business_key"], unique=False)
    op.create_index(op.f("ix_processed_tasks_task_type"), "processed_tasks", ["task_type"], unique=False)
    op.create_table(
        "engine_messages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("business_key", sa.String(length=120), nullable=True),
        sa.Column("local_keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("variables", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engine_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_engine_messages_message_id")),
    )
    op.create_index(op.f("ix_engine_messages_delivered_at"), "engine_messages", ["delivered_at"], unique=False)
    op.create_index(op.f("ix_engine_messages_next_attempt_at"), "engine_messages", ["next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_table("engine_messages")
    op.drop_table("processed_tasks")
    op.create_table(
        "processed_jobs",
        sa.Column("job_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("task_type", sa.String(length=120), nullable=False),
        sa.Column("business_key", sa.String(length=120), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("job_key", name=op.f("pk_processed_jobs")),
    )
    for table, unique in _INSTANCE_COLUMNS:
        if unique:
            op.drop_constraint(f"uq_{table}_process_instance_id", table, type_="unique")
        op.drop_column(table, "process_instance_id")
        op.add_column(table, sa.Column("process_instance_key", sa.BigInteger(), nullable=True))
        if unique:
            op.create_unique_constraint(f"uq_{table}_process_instance_key", table, ["process_instance_key"])
