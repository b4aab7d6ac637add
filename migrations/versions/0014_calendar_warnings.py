"""calendar warnings: a revisit date or production plan computed without the year's official schedule

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("service_tickets", sa.Column("calendar_warning", sa.Text(), nullable=True))
    op.add_column("production_plans", sa.Column("calendar_warning", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("production_plans", "calendar_warning")
    op.drop_column("service_tickets", "calendar_warning")
