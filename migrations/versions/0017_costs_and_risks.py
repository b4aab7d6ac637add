"""cost budget vs actual per order (price list, budgets, accruals, overrun flags) and the risk register

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# The price list the budgets start from (CNY per unit, excluding tax); purchasing keeps it up to date.
PRICES = {
    "STEEL-SHEET-1.0": "180.00",
    "LOCK-CORE-C": "85.00",
    "HINGE-SS": "12.00",
    "FRAME-STEEL": "260.00",
    "WOOD-PANEL-40": "320.00",
    "LOCK-MECH": "65.00",
    "FIRE-CORE": "150.00",
    "GLASS-TEMP-10": "210.00",
    "ALU-PROFILE": "48.00",
}


def upgrade() -> None:
    op.create_table(
        "material_prices",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "material_code",
            sa.String(length=40),
            sa.ForeignKey("materials.code", name="fk_material_prices_material_code_materials"),
            nullable=False,
        ),
        sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_material_prices"),
        sa.UniqueConstraint("material_code", "valid_from", name="uq_material_prices_material_code"),
    )
    op.create_index("ix_material_prices_material_code", "material_prices", ["material_code"])
    prices = sa.table(
        "material_prices",
        sa.column("material_code", sa.String),
        sa.column("unit_price", sa.Numeric),
        sa.column("valid_from", sa.Date),
    )
    op.bulk_insert(
        prices, [{"material_code": c, "unit_price": p, "valid_from": date(2026, 1, 1)} for c, p in PRICES.items()]
    )

    op.create_table(
        "cost_budgets",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("materials", sa.Numeric(14, 2), nullable=False),
        sa.Column("labour", sa.Numeric(14, 2), nullable=False),
        sa.Column("overhead", sa.Numeric(14, 2), nullable=False),
        sa.Column("adjustments", sa.Numeric(14, 2), nullable=False),
        sa.Column("total", sa.Numeric(14, 2), nullable=False),
        sa.Column("inputs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_cost_budgets_order_id_orders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_budgets"),
        sa.UniqueConstraint("order_id", "version", name="uq_cost_budgets_order_id"),
        sa.UniqueConstraint("order_id", "source", name="uq_cost_budgets_order_id_source"),
    )
    op.create_index("ix_cost_budgets_order_id", "cost_budgets", ["order_id"])

    op.create_table(
        "cost_accruals",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("basis", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_cost_accruals_order_id_orders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_accruals"),
        sa.UniqueConstraint("kind", "source_ref", name="uq_cost_accruals_kind"),
    )
    op.create_index("ix_cost_accruals_order_id", "cost_accruals", ["order_id"])

    op.create_table(
        "cost_overruns",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("budget_total", sa.Numeric(14, 2), nullable=False),
        sa.Column("actual_total", sa.Numeric(14, 2), nullable=False),
        sa.Column("overrun_share", sa.Numeric(6, 4), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_cost_overruns_order_id_orders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_overruns"),
        sa.UniqueConstraint("order_id", name="uq_cost_overruns_order_id"),
    )

    op.create_table(
        "risks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("owner_group", sa.String(length=60), nullable=False),
        sa.Column("owner_user", sa.String(length=120), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sa.String(length=80), nullable=True),
        sa.Column("raised_by", sa.String(length=120), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("closed_by", sa.String(length=120), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_risks_order_id_orders", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_risks"),
        sa.UniqueConstraint("order_id", "source", "source_ref", name="uq_risks_order_id"),
    )
    for column in ("order_id", "category", "level", "status"):
        op.create_index(f"ix_risks_{column}", "risks", [column])


def downgrade() -> None:
    op.drop_table("risks")
    op.drop_table("cost_overruns")
    op.drop_table("cost_accruals")
    op.drop_table("cost_budgets")
    op.drop_table("material_prices")
