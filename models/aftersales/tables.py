"""Tables of the after-sales domain: one ticket per customer problem, and its event log."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Integer, Sequence, SmallInteger, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Timestamped


class Channel(enum.StrEnum):
    HOTLINE = "hotline"
    EMAIL = "email"
    API = "api"


class ProblemType(enum.StrEnum):
    """What the statistics group problems by (feeds back into design and craft)."""

    INSTALLATION = "installation"
    LOCK_HARDWARE = "lock_hardware"
    HINGE_ALIGNMENT = "hinge_alignment"
    SEAL_INSULATION = "seal_insulation"
    SURFACE_FINISH = "surface_finish"
    STRUCTURE = "structure"
    OTHER = "other"


# Chinese names of the problem types, for the statistics, the dashboard and the quarterly report.
PROBLEM_TYPE_NAMES = {
    ProblemType.INSTALLATION: "安装问题",
    ProblemType.LOCK_HARDWARE: "锁具五金",
    ProblemType.HINGE_ALIGNMENT: "合页/门体下沉",
    ProblemType.SEAL_INSULATION: "密封/隔音保温",
    ProblemType.SURFACE_FINISH: "表面处理",
    ProblemType.STRUCTURE: "门体结构",
    ProblemType.OTHER: "其他",
}


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Urgency(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class TicketStatus(enum.StrEnum):
    OPENED = "opened"  # stored, process started
    AWAITING_CONTACT = "awaiting_contact"  # classified, first contact due
    IN_ANALYSIS = "in_analysis"  # technical department analyses
    IN_REPAIR = "in_repair"  # repair / replacement / field visit under way
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # the customer is asked whether it is solved
    FEEDBACK_RECEIVED = "feedback_received"  # the customer answered; the process takes it from here
    RESOLVED = "resolved"  # satisfied; waiting for the revisit date
    CLOSED = "closed"  # revisited


class RepairDecision(enum.StrEnum):
    REPAIR = "repair"
    REPLACE = "replace"


class Priority(enum.StrEnum):
    """The priorities the decision ``service-priority`` gives (a test keeps the two in step)."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


TICKET_NUMBER_SEQ = Sequence("service_ticket_number_seq", metadata=Base.metadata)


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


class ServiceTicket(Timestamped, Base):
    """One after-sales case; every step's time is kept so the service can be measured."""

    __tablename__ = "service_tickets"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - the API shows ``opened_at`` right after the insert

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    customer_email: Mapped[str | None] = mapped_column(String(200))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    door_line_id: Mapped[int | None] = mapped_column(ForeignKey("door_lines.id", ondelete="RESTRICT"))
    product_model: Mapped[str] = mapped_column(String(120))
    problem_type: Mapped[ProblemType] = mapped_column(_enum(ProblemType, "problem_type"))
    problem_description: Mapped[str] = mapped_column(Text)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "ticket_channel"))
    severity: Mapped[Severity] = mapped_column(_enum(Severity, "ticket_severity"))
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency, "ticket_urgency"))
    priority: Mapped[str | None] = mapped_column(String(8), index=True)
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus, "ticket_status"), index=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    process_instance_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # Operaton instance id

    # Step timestamps. opened_at is the intake (API clock); the others are engine time.
    opened_at: Mapped[datetime] = mapped_column(server_default=func.now())
    contact_deadline_hours: Mapped[int | None] = mapped_column(Integer)
    contact_due_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    customer_reached: Mapped[bool | None] = mapped_column(Boolean)
    initial_solution: Mapped[str | None] = mapped_column(Text)
    solved_at_first_contact: Mapped[bool | None] = mapped_column(Boolean)
    analysed_at: Mapped[datetime | None]
    cause: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[RepairDecision | None] = mapped_column(_enum(RepairDecision, "repair_decision"))
    field_visit_needed: Mapped[bool | None] = mapped_column(Boolean)
    visit_date: Mapped[date | None]
    repaired_at: Mapped[datetime | None]
    repair_notes: Mapped[str | None] = mapped_column(Text)
    feedback_count: Mapped[int] = mapped_column(Integer, default=0)  # customer answers received
    reassessment_rounds: Mapped[int] = mapped_column(Integer, default=0)  # "not satisfied" answers
    resolved_at: Mapped[datetime | None]
    revisit_due_on: Mapped[date | None]
    # Set when the revisit date was counted Monday to Friday: the year's official schedule was missing.
    calendar_warning: Mapped[str | None] = mapped_column(Text)
    revisit_done_at: Mapped[datetime | None]
    satisfaction_score: Mapped[int | None] = mapped_column(SmallInteger)
    revisit_comments: Mapped[str | None] = mapped_column(Text)

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketEvent.id"
    )


class TicketEvent(Base):
    """What happened to a ticket, in order: the customer-facing history (updates, feedback, escalation)."""

    __tablename__ = "service_ticket_events"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - the API shows ``at`` right after the insert

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    ticket: Mapped[ServiceTicket] = relationship(back_populates="events")
