"""money of applied changes (order adjustment, contract credit/extra due, change figures), cancellable installments

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=12, scale=2)


def upgrade() -> None:
    op.add_column("orders", sa.Column("price_adjustment", MONEY, server_default="0", nullable=False))
    op.add_column("contracts", sa.Column("credit_due", MONEY, server_default="0", nullable=False))
    op.add_column("contracts", sa.Column("extra_due", MONEY, server_default="0", nullable=False))
    for name in ("money_delta", "contract_total_before", "contract_total_after", "credit_due", "extra_due"):
        op.add_column("change_requests", sa.Column(name, MONEY, nullable=True))
    op.add_column("change_requests", sa.Column("contract_version", sa.Integer(), nullable=True))
    op.drop_constraint(op.f("ck_installments_amount_positive"), "installments", type_="check")
    op.create_check_constraint(
        op.f("ck_installments_amount_positive"), "installments", "amount > 0 OR status = 'cancelled'"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_installments_amount_positive"), "installments", type_="check")
    op.execute("DELETE FROM installments WHERE status = 'cancelled'")
    op.create_check_constraint(op.f("ck_installments_amount_positive"), "installments", "amount > 0")
    op.drop_column("change_requests", "contract_version")
    for name in ("extra_due", "credit_due", "contract_total_after", "contract_total_before", "money_delta"):
        op.drop_column("change_requests", name)
    op.drop_column("contracts", "extra_due")
    op.drop_column("contracts", "credit_due")
    op.drop_column("orders", "price_adjustment")
