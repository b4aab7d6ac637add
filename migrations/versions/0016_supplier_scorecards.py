"""supplier scorecards: evaluation runs and evaluations, reference and quoted prices, purchase-order due dates

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Reference prices purchasing budgets with (yuan per unit) and the seeded suppliers' quotes and lead times.
REFERENCE_PRICES = {
    "STEEL-SHEET-1.0": "185.00",
    "LOCK-CORE-C": "90.00",
    "HINGE-SS": "12.00",
    "FRAME-STEEL": "320.00",
    "WOOD-PANEL-40": "260.00",
    "LOCK-MECH": "75.00",
    "FIRE-CORE": "140.00",
    "GLASS-TEMP-10": "210.00",
    "ALU-PROFILE": "68.00",
}
QUOTES = {
    "浙江永康金盾锁业有限公司": ({"LOCK-CORE-C": "95.00", "LOCK-MECH": "78.00", "HINGE-SS": "12.50"}, 5),
    "温州安居五金制品厂": ({"LOCK-CORE-C": "88.00", "LOCK-MECH": "72.00", "HINGE-SS": "11.80"}, 7),
    "义乌低价锁具批发部": ({"LOCK-CORE-C": "62.00", "LOCK-MECH": "55.00"}, 3),
    "宝钢（杭州）钢材加工配送有限公司": (
        {"STEEL-SHEET-1.0": "182.00", "FRAME-STEEL": "318.00", "FIRE-CORE": "145.00"},
        6,
    ),
    "德华兔宝宝装饰新材股份有限公司": ({"WOOD-PANEL-40": "268.00"}, 8),
    "信义玻璃（江门）有限公司": ({"GLASS-TEMP-10": "205.00", "ALU-PROFILE": "70.00"}, 10),
}


def upgrade() -> None:
    op.add_column("materials", sa.Column("reference_price", sa.Numeric(precision=12, scale=2), nullable=True))
    op.add_column(
        "suppliers",
        sa.Column("unit_prices", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("suppliers", sa.Column("lead_time_days", sa.Integer(), nullable=True))
    op.add_column("purchase_orders", sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=True))
    op.add_column("purchase_orders", sa.Column("due_date", sa.Date(), nullable=True))
    op.create_table(
        "supplier_evaluation_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("supplier_count", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("process_instance_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_evaluation_runs")),
    )
    op.create_table(
        "supplier_evaluations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("inspections", sa.Integer(), nullable=False),
        sa.Column("inspections_passed", sa.Integer(), nullable=False),
        sa.Column("deliveries_due", sa.Integer(), nullable=False),
        sa.Column("deliveries_on_time", sa.Integer(), nullable=False),
        sa.Column("priced_orders", sa.Integer(), nullable=False),
        sa.Column("purchase_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("reference_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("returns_handled", sa.Integer(), nullable=False),
        sa.Column("pass_rate", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("on_time_rate", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("price_ratio", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("service_rate", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("quality_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("lead_time_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("price_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("service_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("class_before", sa.String(length=2), nullable=False),
        sa.Column("supplier_class", sa.String(length=2), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["supplier_evaluation_runs.id"],
            name=op.f("fk_supplier_evaluations_run_id_supplier_evaluation_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_supplier_evaluations_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_evaluations")),
        sa.UniqueConstraint("run_id", "seq", name=op.f("uq_supplier_evaluations_run_id")),
    )
    op.create_index(op.f("ix_supplier_evaluations_run_id"), "supplier_evaluations", ["run_id"], unique=False)
    op.create_index(op.f("ix_supplier_evaluations_supplier_id"), "supplier_evaluations", ["supplier_id"], unique=False)
    materials = sa.table("materials", sa.column("code", sa.String), sa.column("reference_price", sa.Numeric))
    for code, price in REFERENCE_PRICES.items():
        op.execute(materials.update().where(materials.c.code == code).values(reference_price=price))
    suppliers = sa.table(
        "suppliers",
        sa.column("name", sa.String),
        sa.column("unit_prices", postgresql.JSONB),
        sa.column("lead_time_days", sa.Integer),
    )
    for name, (prices, days) in QUOTES.items():
        op.execute(suppliers.update().where(suppliers.c.name == name).values(unit_prices=prices, lead_time_days=days))


def downgrade() -> None:
    op.drop_index(op.f("ix_supplier_evaluations_supplier_id"), table_name="supplier_evaluations")
    op.drop_index(op.f("ix_supplier_evaluations_run_id"), table_name="supplier_evaluations")
    op.drop_table("supplier_evaluations")
    op.drop_table("supplier_evaluation_runs")
    op.drop_column("purchase_orders", "due_date")
    op.drop_column("purchase_orders", "unit_price")
    op.drop_column("suppliers", "lead_time_days")
    op.drop_column("suppliers", "unit_prices")
    op.drop_column("materials", "reference_price")
