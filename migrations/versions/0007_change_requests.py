"""change requests: requests, department reviews, order revisions

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("request_no", sa.Integer(), nullable=False),
        sa.Column("change_number", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("line_changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("new_delivery_date", sa.Date(), nullable=True),
        sa.Column("price_delta", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("phone", "email", "visit", "api", "other", name="change_channel", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "assessed",
                "approved",
                "rejected",
                "applied",
                name="change_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("schedule_impact_days", sa.Integer(), nullable=True),
        sa.Column(
            "quality_impact",
            sa.Enum("none", "minor", "significant", name="quality_impact", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("cost_delta", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("assessment_note", sa.Text(), nullable=True),
        sa.Column("major", sa.Boolean(), nullable=True),
        sa.Column("impact_reason", sa.String(length=200), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customer_approved", sa.Boolean(), nullable=True),
        sa.Column("customer_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_revision", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_change_requests_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
        sa.UniqueConstraint("change_number", name=op.f("uq_change_requests_change_number")),
        sa.UniqueConstraint("order_id", "request_no", name=op.f("uq_change_requests_order_id")),
    )
    op.create_index(op.f("ix_change_requests_order_id"), "change_requests", ["order_id"], unique=False)
    op.create_table(
        "change_reviews",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("change_request_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "department",
            sa.Enum("technical", "production", "finance", name="change_department", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_request_id"],
            ["change_requests.id"],
            name=op.f("fk_change_reviews_change_request_id_change_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_reviews")),
        sa.UniqueConstraint("change_request_id", "department", name=op.f("uq_change_reviews_change_request_id")),
    )
    op.create_index(op.f("ix_change_reviews_change_request_id"), "change_reviews", ["change_request_id"], unique=False)
    op.create_table(
        "order_revisions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("change_request_id", sa.BigInteger(), nullable=True),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_request_id"],
            ["change_requests.id"],
            name=op.f("fk_order_revisions_change_request_id_change_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_revisions_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_revisions")),
        sa.UniqueConstraint("order_id", "revision", name=op.f("uq_order_revisions_order_id")),
    )
    op.create_index(op.f("ix_order_revisions_order_id"), "order_revisions", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_order_revisions_order_id"), table_name="order_revisions")
    op.drop_table("order_revisions")
    op.drop_index(op.f("ix_change_reviews_change_request_id"), table_name="change_reviews")
    op.drop_table("change_reviews")
    op.drop_index(op.f("ix_change_requests_order_id"), table_name="change_requests")
    op.drop_table("change_requests")
