"""orders can be put on hold, resumed and cancelled with a reason

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("status_before_hold", sa.String(length=32), nullable=True))
    op.add_column("orders", sa.Column("hold_reason", sa.Text(), nullable=True))
    op.add_column("orders", sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("held_by", sa.String(length=120), nullable=True))
    op.add_column("orders", sa.Column("cancel_reason", sa.Text(), nullable=True))
    op.add_column("orders", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("cancelled_by", sa.String(length=120), nullable=True))
    op.add_column("orders", sa.Column("refund_due", sa.Numeric(precision=12, scale=2), nullable=True))
    op.add_column("purchase_orders", sa.Column("cancellation_requested_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("purchase_orders", "cancellation_requested_at")
    for column in (
        "refund_due",
        "cancelled_by",
        "cancelled_at",
        "cancel_reason",
        "held_by",
        "held_at",
        "hold_reason",
        "status_before_hold",
    ):
        op.drop_column("orders", column)
