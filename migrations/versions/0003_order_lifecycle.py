"""orders: review, pricing, contract, handover, delivery, acceptance, follow-up

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("contract_number", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "legal_review", "revising", "approved", "signed", name="contract_status", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("total_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("signed_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_contracts_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("contract_number", name=op.f("uq_contracts_contract_number")),
        sa.UniqueConstraint("order_id", name=op.f("uq_contracts_order_id")),
    )
    op.create_table(
        "follow_up_visits",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("visited_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name=op.f("ck_follow_up_visits_satisfaction_range")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_follow_up_visits_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_visits")),
        sa.UniqueConstraint("order_id", name=op.f("uq_follow_up_visits_order_id")),
    )
    op.create_table(
        "order_reviews",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("production_ok", sa.Boolean(), nullable=False),
        sa.Column("production_earliest_date", sa.Date(), nullable=True),
        sa.Column("production_comment", sa.Text(), nullable=True),
        sa.Column("material_ok", sa.Boolean(), nullable=False),
        sa.Column("material_earliest_date", sa.Date(), nullable=True),
        sa.Column("material_comment", sa.Text(), nullable=True),
        sa.Column("installation_ok", sa.Boolean(), nullable=False),
        sa.Column("installation_earliest_date", sa.Date(), nullable=True),
        sa.Column("installation_comment", sa.Text(), nullable=True),
        sa.Column("feasible", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("negotiation_outcome", sa.String(length=20), nullable=True),
        sa.Column("negotiation_comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_reviews_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_reviews")),
        sa.UniqueConstraint("order_id", "round", name=op.f("uq_order_reviews_order_id")),
    )
    op.create_index(op.f("ix_order_reviews_order_id"), "order_reviews", ["order_id"], unique=False)
    op.create_table(
        "price_approvals",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("list_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("net_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("approver_group", sa.String(length=40), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "not_required", "pending", "approved", "refused", name="price_decision", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_price_approvals_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_approvals")),
        sa.UniqueConstraint("order_id", "round", name=op.f("uq_price_approvals_order_id")),
    )
    op.create_index(op.f("ix_price_approvals_order_id"), "price_approvals", ["order_id"], unique=False)
    op.create_table(
        "shipments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("carrier", sa.String(length=120), nullable=False),
        sa.Column("tracking_number", sa.String(length=80), nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("received_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("order_id", name=op.f("uq_shipments_order_id")),
    )
    op.create_table(
        "acceptances",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("defects", sa.Text(), nullable=True),
        sa.Column("rework_note", sa.Text(), nullable=True),
        sa.Column("accepted_by", sa.String(length=120), nullable=True),
        sa.Column("certificate_document_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_document_id"], ["documents.id"], name=op.f("fk_acceptances_certificate_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_acceptances_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptances")),
        sa.UniqueConstraint("order_id", "round", name=op.f("uq_acceptances_order_id")),
    )
    op.create_index(op.f("ix_acceptances_order_id"), "acceptances", ["order_id"], unique=False)
    op.create_table(
        "contract_versions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_terms", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("revision_note", sa.Text(), nullable=True),
        sa.Column(
            "legal_decision",
            sa.Enum("approved", "rejected", name="legal_decision", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("legal_comments", sa.Text(), nullable=True),
        sa.Column("legal_reviewer", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_versions_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_contract_versions_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_versions")),
        sa.UniqueConstraint("contract_id", "version", name=op.f("uq_contract_versions_contract_id")),
    )
    op.create_index(op.f("ix_contract_versions_contract_id"), "contract_versions", ["contract_id"], unique=False)
    op.create_table(
        "handover_sheets",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("special_items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attachments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_handover_sheets_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_handover_sheets_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_sheets")),
        sa.UniqueConstraint("order_id", name=op.f("uq_handover_sheets_order_id")),
    )
    op.create_table(
        "handover_confirmations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("sheet_id", sa.BigInteger(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("confirmed_by", sa.String(length=120), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["handover_sheets.id"],
            name=op.f("fk_handover_confirmations_sheet_id_handover_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_confirmations")),
        sa.UniqueConstraint("sheet_id", "department", name=op.f("uq_handover_confirmations_sheet_id")),
    )
    op.create_index(op.f("ix_handover_confirmations_sheet_id"), "handover_confirmations", ["sheet_id"], unique=False)
    op.add_column("orders", sa.Column("customer_email", sa.String(length=200), nullable=True))
    op.add_column("orders", sa.Column("agreed_delivery_date", sa.Date(), nullable=True))
    op.add_column("orders", sa.Column("requested_discount_percent", sa.Numeric(precision=5, scale=2), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "requested_discount_percent")
    op.drop_column("orders", "agreed_delivery_date")
    op.drop_column("orders", "customer_email")
    op.drop_index(op.f("ix_handover_confirmations_sheet_id"), table_name="handover_confirmations")
    op.drop_table("handover_confirmations")
    op.drop_table("handover_sheets")
    op.drop_index(op.f("ix_contract_versions_contract_id"), table_name="contract_versions")
    op.drop_table("contract_versions")
    op.drop_index(op.f("ix_acceptances_order_id"), table_name="acceptances")
    op.drop_table("acceptances")
    op.drop_table("shipments")
    op.drop_index(op.f("ix_price_approvals_order_id"), table_name="price_approvals")
    op.drop_table("price_approvals")
    op.drop_index(op.f("ix_order_reviews_order_id"), table_name="order_reviews")
    op.drop_table("order_reviews")
    op.drop_table("follow_up_visits")
    op.drop_table("contracts")
