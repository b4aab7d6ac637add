"""payment collection: installments, payments, dunning steps, e-mails, customer risk flags

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("contract_number", sa.String(length=60), nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("customer_email", sa.String(length=254), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("process_instance_key", sa.BigInteger(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("deposit", "progress", "final", name="installment_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "paid", "overdue", "legal", name="installment_status", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("notice_document_id", sa.BigInteger(), nullable=True),
        sa.Column("overdue_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("legal_measure", sa.String(length=40), nullable=True),
        sa.Column("legal_comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_installments_amount_positive")),
        sa.CheckConstraint(
            "paid_amount >= 0 AND paid_amount <= amount", name=op.f("ck_installments_paid_within_amount")
        ),
        sa.ForeignKeyConstraint(
            ["notice_document_id"],
            ["documents.id"],
            name=op.f("fk_installments_notice_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_installments_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installments")),
        sa.UniqueConstraint("order_id", "seq", name=op.f("uq_installments_order_id")),
    )
    op.create_index(op.f("ix_installments_contract_number"), "installments", ["contract_number"], unique=False)
    op.create_index(op.f("ix_installments_customer_name"), "installments", ["customer_name"], unique=False)
    op.create_index(op.f("ix_installments_order_id"), "installments", ["order_id"], unique=False)
    op.create_table(
        "collection_emails",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("installment_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("sent", "no_address", "not_configured", name="email_status", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["installment_id"],
            ["installments.id"],
            name=op.f("fk_collection_emails_installment_id_installments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_emails")),
    )
    op.create_index(op.f("ix_collection_emails_installment_id"), "collection_emails", ["installment_id"], unique=False)
    op.create_table(
        "customer_risk_flags",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("installment_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("flagged_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["installment_id"],
            ["installments.id"],
            name=op.f("fk_customer_risk_flags_installment_id_installments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_risk_flags")),
        sa.UniqueConstraint("installment_id", name=op.f("uq_customer_risk_flags_installment_id")),
    )
    op.create_index(
        op.f("ix_customer_risk_flags_customer_name"), "customer_risk_flags", ["customer_name"], unique=False
    )
    op.create_table(
        "dunning_steps",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("installment_id", sa.BigInteger(), nullable=False),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum("reminder", "phone", "letter", "visit", name="dunning_action", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("balance", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.Column("taken_by", sa.String(length=120), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_dunning_steps_document_id_documents"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["installment_id"],
            ["installments.id"],
            name=op.f("fk_dunning_steps_installment_id_installments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_steps")),
        sa.UniqueConstraint("installment_id", "step_no", name=op.f("uq_dunning_steps_installment_id")),
    )
    op.create_index(op.f("ix_dunning_steps_installment_id"), "dunning_steps", ["installment_id"], unique=False)
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("installment_id", sa.BigInteger(), nullable=False),
        sa.Column("external_reference", sa.String(length=120), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["installment_id"],
            ["installments.id"],
            name=op.f("fk_payments_installment_id_installments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("external_reference", name=op.f("uq_payments_external_reference")),
    )
    op.create_index(op.f("ix_payments_installment_id"), "payments", ["installment_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_payments_installment_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_dunning_steps_installment_id"), table_name="dunning_steps")
    op.drop_table("dunning_steps")
    op.drop_index(op.f("ix_customer_risk_flags_customer_name"), table_name="customer_risk_flags")
    op.drop_table("customer_risk_flags")
    op.drop_index(op.f("ix_collection_emails_installment_id"), table_name="collection_emails")
    op.drop_table("collection_emails")
    op.drop_index(op.f("ix_installments_order_id"), table_name="installments")
    op.drop_index(op.f("ix_installments_customer_name"), table_name="installments")
    op.drop_index(op.f("ix_installments_contract_number"), table_name="installments")
    op.drop_table("installments")
