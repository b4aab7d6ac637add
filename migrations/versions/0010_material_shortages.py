"""material shortages stored per plan (the purchase multi-instance loads its item by index)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "material_shortages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("plan_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_material_shortages_material_id_materials")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["production_plans.id"],
            name=op.f("fk_material_shortages_plan_id_production_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_shortages")),
        sa.UniqueConstraint("plan_id", "seq", name=op.f("uq_material_shortages_plan_id")),
    )
    op.create_index(op.f("ix_material_shortages_plan_id"), "material_shortages", ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_material_shortages_plan_id"), table_name="material_shortages")
    op.drop_table("material_shortages")
