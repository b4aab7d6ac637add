"""documents as PDF; confidential documents, access requests and the read log

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("pdf", sa.LargeBinary(), nullable=True))
    op.add_column("documents", sa.Column("pdf_filename", sa.String(length=200), nullable=True))
    op.add_column("documents", sa.Column("confidential", sa.Boolean(), server_default="false", nullable=False))
    op.create_table(
        "document_access_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("owner_group", sa.String(length=80), nullable=False),
        sa.Column("process_instance_id", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "approved", "refused", "expired", name="document_access_status", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("granted_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_access_requests_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_access_requests")),
        sa.UniqueConstraint("process_instance_id", name=op.f("uq_document_access_requests_process_instance_id")),
    )
    op.create_index(
        op.f("ix_document_access_requests_document_id"), "document_access_requests", ["document_id"], unique=False
    )
    op.create_index(
        op.f("ix_document_access_requests_requested_by"), "document_access_requests", ["requested_by"], unique=False
    )
    op.create_table(
        "document_reads",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("reader", sa.String(length=120), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("read", "refused", name="document_read_outcome", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("access_request_id", sa.BigInteger(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_request_id"],
            ["document_access_requests.id"],
            name=op.f("fk_document_reads_access_request_id_document_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_reads_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_reads")),
    )
    op.create_index(op.f("ix_document_reads_document_id"), "document_reads", ["document_id"], unique=False)
    op.create_index(op.f("ix_document_reads_read_at"), "document_reads", ["read_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_document_reads_read_at"), table_name="document_reads")
    op.drop_index(op.f("ix_document_reads_document_id"), table_name="document_reads")
    op.drop_table("document_reads")
    op.drop_index(op.f("ix_document_access_requests_requested_by"), table_name="document_access_requests")
    op.drop_index(op.f("ix_document_access_requests_document_id"), table_name="document_access_requests")
    op.drop_table("document_access_requests")
    op.drop_column("documents", "confidential")
    op.drop_column("documents", "pdf_filename")
    op.drop_column("documents", "pdf")
