"""after-sales tickets

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("service_ticket_number_seq")))
    op.create_table(
        "service_tickets",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_number", sa.String(length=32), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("customer_phone", sa.String(length=40), nullable=True),
        sa.Column("customer_email", sa.String(length=200), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("door_line_id", sa.BigInteger(), nullable=True),
        sa.Column("product_model", sa.String(length=120), nullable=False),
        sa.Column(
            "problem_type",
            sa.Enum(
                "installation",
                "lock_hardware",
                "hinge_alignment",
                "seal_insulation",
                "surface_finish",
                "structure",
                "other",
                name="problem_type",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("problem_description", sa.Text(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("hotline", "email", "api", name="ticket_channel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum("critical", "high", "medium", "low", name="ticket_severity", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "urgency",
            sa.Enum("high", "medium", "low", name="ticket_urgency", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("priority", sa.String(length=8), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "opened",
                "awaiting_contact",
                "in_analysis",
                "in_repair",
                "awaiting_confirmation",
                "feedback_received",
                "resolved",
                "closed",
                name="ticket_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("process_instance_key", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("contact_deadline_hours", sa.Integer(), nullable=True),
        sa.Column("contact_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customer_reached", sa.Boolean(), nullable=True),
        sa.Column("initial_solution", sa.Text(), nullable=True),
        sa.Column("solved_at_first_contact", sa.Boolean(), nullable=True),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum("repair", "replace", name="repair_decision", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("field_visit_needed", sa.Boolean(), nullable=True),
        sa.Column("visit_date", sa.Date(), nullable=True),
        sa.Column("repaired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("repair_notes", sa.Text(), nullable=True),
        sa.Column("feedback_count", sa.Integer(), nullable=False),
        sa.Column("reassessment_rounds", sa.Integer(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revisit_due_on", sa.Date(), nullable=True),
        sa.Column("revisit_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("satisfaction_score", sa.SmallInteger(), nullable=True),
        sa.Column("revisit_comments", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["door_line_id"],
            ["door_lines.id"],
            name=op.f("fk_service_tickets_door_line_id_door_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_service_tickets_order_id_orders"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_tickets")),
        sa.UniqueConstraint("process_instance_key", name=op.f("uq_service_tickets_process_instance_key")),
        sa.UniqueConstraint("ticket_number", name=op.f("uq_service_tickets_ticket_number")),
    )
    op.create_index(op.f("ix_service_tickets_order_id"), "service_tickets", ["order_id"], unique=False)
    op.create_index(op.f("ix_service_tickets_priority"), "service_tickets", ["priority"], unique=False)
    op.create_index(op.f("ix_service_tickets_status"), "service_tickets", ["status"], unique=False)
    op.create_table(
        "service_ticket_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["service_tickets.id"],
            name=op.f("fk_service_ticket_events_ticket_id_service_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_ticket_events")),
    )
    op.create_index(op.f("ix_service_ticket_events_ticket_id"), "service_ticket_events", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_service_ticket_events_ticket_id"), table_name="service_ticket_events")
    op.drop_table("service_ticket_events")
    op.drop_index(op.f("ix_service_tickets_status"), table_name="service_tickets")
    op.drop_index(op.f("ix_service_tickets_priority"), table_name="service_tickets")
    op.drop_index(op.f("ix_service_tickets_order_id"), table_name="service_tickets")
    op.drop_table("service_tickets")
    op.execute(sa.schema.DropSequence(sa.Sequence("service_ticket_number_seq")))
