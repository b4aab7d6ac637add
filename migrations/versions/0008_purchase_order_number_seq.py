"""purchase-order numbers from a sequence

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Start after any purchase order numbered from its row id before this revision.
    op.execute(sa.schema.CreateSequence(sa.Sequence("purchase_order_number_seq")))
    op.execute(
        "SELECT setval('purchase_order_number_seq', COALESCE((SELECT max(id) FROM purchase_orders), 0) + 1, false)"
    )


def downgrade() -> None:
    op.execute(sa.schema.DropSequence(sa.Sequence("purchase_order_number_seq")))
