"""Idempotency keys belong to the caller who sent them, and expire (issue 16 item 10)

The keys stored so far have no caller: they are dropped (a key is only meant to cover a retry of a lost
answer, minutes later, and the retention purges them anyway).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM api_idempotency_keys")
    op.add_column("api_idempotency_keys", sa.Column("caller", sa.String(length=255), nullable=False))
    op.drop_constraint("uq_api_idempotency_keys_scope", "api_idempotency_keys", type_="unique")
    op.create_unique_constraint(
        op.f("uq_api_idempotency_keys_caller"), "api_idempotency_keys", ["caller", "scope", "key"]
    )
    op.create_index(op.f("ix_api_idempotency_keys_created_at"), "api_idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_idempotency_keys_created_at"), table_name="api_idempotency_keys")
    op.drop_constraint("uq_api_idempotency_keys_caller", "api_idempotency_keys", type_="unique")
    op.execute("DELETE FROM api_idempotency_keys")
    op.create_unique_constraint(op.f("uq_api_idempotency_keys_scope"), "api_idempotency_keys", ["scope", "key"])
    op.drop_column("api_idempotency_keys", "caller")
