"""service users' API keys (hashed), and who created each order

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("rotated_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_api_keys")),
    )
    # The authenticated caller (engine user id) who created the order; older orders have none.
    op.add_column("orders", sa.Column("created_by", sa.String(64), nullable=True))
    op.create_index(op.f("ix_orders_created_by"), "orders", ["created_by"])


def downgrade() -> None:
    op.drop_index("ix_orders_created_by", table_name="orders")
    op.drop_column("orders", "created_by")
    op.drop_table("api_keys")
