"""production plans, craft documents, materials, suppliers, purchasing, inspections, delays, installations

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "craft_documents",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_craft_documents")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_craft_documents_code")),
    )
    op.create_table(
        "materials",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("on_hand", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_materials")),
        sa.UniqueConstraint("code", name=op.f("uq_materials_code")),
    )
    op.create_table(
        "suppliers",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("qualification_class", sa.String(length=2), nullable=False),
        sa.Column("quality_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("lead_time_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("price_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("service_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("materials", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("name", name=op.f("uq_suppliers_name")),
    )
    op.create_table(
        "installations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduling",
                "planned",
                "waiting_replacement",
                "installed",
                "completed",
                name="installation_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("site_address", sa.String(length=500), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=True),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_installations_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installations")),
        sa.UniqueConstraint("order_id", name=op.f("uq_installations_order_id")),
    )
    op.create_table(
        "material_allocations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("material_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_material_allocations_material_id_materials")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_material_allocations_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_allocations")),
    )
    op.create_index(op.f("ix_material_allocations_order_id"), "material_allocations", ["order_id"], unique=False)
    op.create_table(
        "production_plans",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "approved", "rejected", "packed", name="plan_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("craft_document_id", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("review_comments", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=120), nullable=True),
        sa.Column("packed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["craft_document_id"],
            ["craft_documents.id"],
            name=op.f("fk_production_plans_craft_document_id_craft_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_production_plans_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_plans")),
        sa.UniqueConstraint("order_id", "version", name=op.f("uq_production_plans_order_id")),
    )
    op.create_index(op.f("ix_production_plans_order_id"), "production_plans", ["order_id"], unique=False)
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("material_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ordered", "received", "accepted", "returned", name="purchase_status", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("replaces_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_purchase_orders_material_id_materials")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_purchase_orders_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["purchase_orders.id"], name=op.f("fk_purchase_orders_replaces_id_purchase_orders")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_purchase_orders_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_orders_number")),
    )
    op.create_index(op.f("ix_purchase_orders_order_id"), "purchase_orders", ["order_id"], unique=False)
    op.create_table(
        "goods_receipts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("delivery_note", sa.String(length=80), nullable=True),
        sa.Column("received_by", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_goods_receipts_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_receipts")),
    )
    op.create_index(op.f("ix_goods_receipts_purchase_order_id"), "goods_receipts", ["purchase_order_id"], unique=False)
    op.create_table(
        "inspections",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind", sa.Enum("incoming", "final", name="inspection_kind", native_enum=False, length=32), nullable=False
        ),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("rework_note", sa.Text(), nullable=True),
        sa.Column("inspected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_inspections_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"], ["purchase_orders.id"], name=op.f("fk_inspections_purchase_order_id_purchase_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    op.create_index(op.f("ix_inspections_order_id"), "inspections", ["order_id"], unique=False)
    op.create_table(
        "installation_inspections",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("installation_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("fix_note", sa.Text(), nullable=True),
        sa.Column("inspected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_installation_inspections_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation_inspections")),
    )
    op.create_index(
        op.f("ix_installation_inspections_installation_id"),
        "installation_inspections",
        ["installation_id"],
        unique=False,
    )
    op.create_table(
        "installation_replacements",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("installation_id", sa.BigInteger(), nullable=False),
        sa.Column("damage_notes", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_installation_replacements_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation_replacements")),
    )
    op.create_index(
        op.f("ix_installation_replacements_installation_id"),
        "installation_replacements",
        ["installation_id"],
        unique=False,
    )
    op.create_table(
        "installation_site_checks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("installation_id", sa.BigInteger(), nullable=False),
        sa.Column("site_ready", sa.Boolean(), nullable=False),
        sa.Column("goods_damaged", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_installation_site_checks_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation_site_checks")),
    )
    op.create_index(
        op.f("ix_installation_site_checks_installation_id"),
        "installation_site_checks",
        ["installation_id"],
        unique=False,
    )
    op.create_table(
        "production_delays",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("plan_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "cause",
            sa.Enum("force_majeure", "internal", name="delay_cause", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("cause_detail", sa.Text(), nullable=False),
        sa.Column("remedy", sa.Text(), nullable=False),
        sa.Column("old_due_date", sa.Date(), nullable=False),
        sa.Column("new_due_date", sa.Date(), nullable=False),
        sa.Column("responsibility", sa.String(length=200), nullable=False),
        sa.Column("customer_informed", sa.Boolean(), nullable=False),
        sa.Column("notice_document_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_document_id"], ["documents.id"], name=op.f("fk_production_delays_notice_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_production_delays_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["production_plans.id"],
            name=op.f("fk_production_delays_plan_id_production_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_delays")),
    )
    op.create_index(op.f("ix_production_delays_order_id"), "production_delays", ["order_id"], unique=False)
    op.create_table(
        "production_stages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("plan_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("milestone", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("planned", "in_progress", "completed", name="stage_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["production_plans.id"],
            name=op.f("fk_production_stages_plan_id_production_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_stages")),
        sa.UniqueConstraint("plan_id", "seq", name=op.f("uq_production_stages_plan_id")),
    )
    op.create_index(op.f("ix_production_stages_plan_id"), "production_stages", ["plan_id"], unique=False)
    op.create_table(
        "progress_reports",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("stage_id", sa.BigInteger(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["production_stages.id"],
            name=op.f("fk_progress_reports_stage_id_production_stages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reports")),
    )
    op.create_index(op.f("ix_progress_reports_stage_id"), "progress_reports", ["stage_id"], unique=False)
    _seed()


def _seed() -> None:
    """Reference data a fresh factory starts with: the current craft documents, stock and suppliers."""
    craft = sa.table(
        "craft_documents",
        sa.column("code", sa.String),
        sa.column("version", sa.String),
        sa.column("title", sa.String),
        sa.column("effective_from", sa.Date),
        sa.column("is_current", sa.Boolean),
        sa.column("summary", sa.Text),
    )
    op.bulk_insert(
        craft,
        [
            {
                "code": "GY-MD-01",
                "version": "V2.3",
                "title": "定制门生产工艺文件（工艺流程、作业指导书、质量标准）",
                "effective_from": date(2025, 3, 1),
                "is_current": False,
                "summary": "旧版：表面处理采用溶剂型面漆。",
            },
            {
                "code": "GY-MD-01",
                "version": "V3.1",
                "title": "定制门生产工艺文件（工艺流程、作业指导书、质量标准）",
                "effective_from": date(2026, 7, 1),
                "is_current": True,
                "summary": "下料→成型→表面处理（水性漆）→装配→包装；防盗门按 GB 17565-2022，防火门按 GB 12955-2024 检验。",
            },
        ],
    )
    materials = sa.table(
        "materials",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("unit", sa.String),
        sa.column("on_hand", sa.Numeric),
    )
    op.bulk_insert(
        materials,
        [
            {"code": "STEEL-SHEET-1.0", "name": "冷轧钢板 1.0mm", "unit": "张", "on_hand": 5000},
            {"code": "LOCK-CORE-C", "name": "C级防盗锁芯", "unit": "个", "on_hand": 3},
            {"code": "HINGE-SS", "name": "不锈钢合页", "unit": "只", "on_hand": 20000},
            {"code": "FRAME-STEEL", "name": "钢质门框", "unit": "套", "on_hand": 4000},
            {"code": "WOOD-PANEL-40", "name": "实木复合门板 40mm", "unit": "张", "on_hand": 8000},
            {"code": "LOCK-MECH", "name": "室内机械门锁", "unit": "把", "on_hand": 6000},
            {"code": "FIRE-CORE", "name": "防火门芯板", "unit": "张", "on_hand": 200},
            {"code": "GLASS-TEMP-10", "name": "10mm 钢化玻璃", "unit": "块", "on_hand": 300},
            {"code": "ALU-PROFILE", "name": "铝合金型材", "unit": "根", "on_hand": 1500},
        ],
    )
    suppliers = sa.table(
        "suppliers",
        sa.column("name", sa.String),
        sa.column("qualification_class", sa.String),
        sa.column("quality_score", sa.Numeric),
        sa.column("lead_time_score", sa.Numeric),
        sa.column("price_score", sa.Numeric),
        sa.column("service_score", sa.Numeric),
        sa.column("materials", postgresql.JSONB),
    )
    op.bulk_insert(
        suppliers,
        [
            {
                "name": "浙江永康金盾锁业有限公司",
                "qualification_class": "A",
                "quality_score": 92,
                "lead_time_score": 85,
                "price_score": 78,
                "service_score": 88,
                "materials": ["LOCK-CORE-C", "LOCK-MECH", "HINGE-SS"],
            },
            {
                "name": "温州安居五金制品厂",
                "qualification_class": "B",
                "quality_score": 80,
                "lead_time_score": 90,
                "price_score": 88,
                "service_score": 75,
                "materials": ["LOCK-CORE-C", "LOCK-MECH", "HINGE-SS"],
            },
            {
                "name": "义乌低价锁具批发部",
                "qualification_class": "D",
                "quality_score": 55,
                "lead_time_score": 95,
                "price_score": 99,
                "service_score": 60,
                "materials": ["LOCK-CORE-C", "LOCK-MECH"],
            },
            {
                "name": "宝钢（杭州）钢材加工配送有限公司",
                "qualification_class": "A",
                "quality_score": 95,
                "lead_time_score": 82,
                "price_score": 80,
                "service_score": 90,
                "materials": ["STEEL-SHEET-1.0", "FRAME-STEEL", "FIRE-CORE"],
            },
            {
                "name": "德华兔宝宝装饰新材股份有限公司",
                "qualification_class": "A",
                "quality_score": 93,
                "lead_time_score": 80,
                "price_score": 76,
                "service_score": 86,
                "materials": ["WOOD-PANEL-40"],
            },
            {
                "name": "信义玻璃（江门）有限公司",
                "qualification_class": "B",
                "quality_score": 88,
                "lead_time_score": 78,
                "price_score": 82,
                "service_score": 80,
                "materials": ["GLASS-TEMP-10", "ALU-PROFILE"],
            },
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_progress_reports_stage_id"), table_name="progress_reports")
    op.drop_table("progress_reports")
    op.drop_index(op.f("ix_production_stages_plan_id"), table_name="production_stages")
    op.drop_table("production_stages")
    op.drop_index(op.f("ix_production_delays_order_id"), table_name="production_delays")
    op.drop_table("production_delays")
    op.drop_index(op.f("ix_installation_site_checks_installation_id"), table_name="installation_site_checks")
    op.drop_table("installation_site_checks")
    op.drop_index(op.f("ix_installation_replacements_installation_id"), table_name="installation_replacements")
    op.drop_table("installation_replacements")
    op.drop_index(op.f("ix_installation_inspections_installation_id"), table_name="installation_inspections")
    op.drop_table("installation_inspections")
    op.drop_index(op.f("ix_inspections_order_id"), table_name="inspections")
    op.drop_table("inspections")
    op.drop_index(op.f("ix_goods_receipts_purchase_order_id"), table_name="goods_receipts")
    op.drop_table("goods_receipts")
    op.drop_index(op.f("ix_purchase_orders_order_id"), table_name="purchase_orders")
    op.drop_table("purchase_orders")
    op.drop_index(op.f("ix_production_plans_order_id"), table_name="production_plans")
    op.drop_table("production_plans")
    op.drop_index(op.f("ix_material_allocations_order_id"), table_name="material_allocations")
    op.drop_table("material_allocations")
    op.drop_table("installations")
    op.drop_table("suppliers")
    op.drop_table("materials")
    op.drop_table("craft_documents")
