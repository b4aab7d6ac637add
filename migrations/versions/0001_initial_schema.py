"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 13:44:26.125660
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("order_number_seq")))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("entity", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.String(length=60), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_entity_id"), "audit_log", ["entity_id"], unique=False)
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("customer_phone", sa.String(length=40), nullable=True),
        sa.Column("delivery_address", sa.String(length=500), nullable=False),
        sa.Column("requested_delivery_date", sa.Date(), nullable=False),
        sa.Column("salesperson", sa.String(length=120), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("received", "registered", "confirmed", name="order_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("process_instance_key", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("order_number", name=op.f("uq_orders_order_number")),
        sa.UniqueConstraint("process_instance_key", name=op.f("uq_orders_process_instance_key")),
    )
    op.create_table(
        "processed_jobs",
        sa.Column("job_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("task_type", sa.String(length=120), nullable=False),
        sa.Column("business_key", sa.String(length=120), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("job_key", name=op.f("pk_processed_jobs")),
    )
    op.create_index(op.f("ix_processed_jobs_business_key"), "processed_jobs", ["business_key"], unique=False)
    op.create_index(op.f("ix_processed_jobs_task_type"), "processed_jobs", ["task_type"], unique=False)
    op.create_table(
        "door_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "door_type",
            sa.Enum(
                "wooden", "steel_security", "fire", "glass", "aluminium", name="door_type", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("width_mm", sa.Integer(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=False),
        sa.Column("wall_thickness_mm", sa.Integer(), nullable=True),
        sa.Column("material", sa.String(length=120), nullable=True),
        sa.Column("finish", sa.String(length=120), nullable=True),
        sa.Column(
            "handing",
            sa.Enum(
                "left_inswing",
                "right_inswing",
                "left_outswing",
                "right_outswing",
                "sliding",
                name="handing",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("lock_hardware", sa.String(length=200), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_door_lines_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_door_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_door_lines_order_id")),
    )
    op.create_index(op.f("ix_door_lines_order_id"), "door_lines", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_door_lines_order_id"), table_name="door_lines")
    op.drop_table("door_lines")
    op.drop_index(op.f("ix_processed_jobs_task_type"), table_name="processed_jobs")
    op.drop_index(op.f("ix_processed_jobs_business_key"), table_name="processed_jobs")
    op.drop_table("processed_jobs")
    op.drop_table("orders")
    op.drop_index(op.f("ix_audit_log_entity_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.execute(sa.schema.DropSequence(sa.Sequence("order_number_seq")))
