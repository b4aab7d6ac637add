"""Tables of the change-requests domain: the requests, their department reviews and the order revisions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Timestamped


class ChangeStatus(enum.StrEnum):
    RECEIVED = "received"  # stored, its event subprocess started
    ASSESSED = "assessed"  # impact on schedule, quality and cost known; major or minor decided
    APPROVED = "approved"  # departments and customer agreed (major changes only)
    REJECTED = "rejected"  # a department or the customer said no: the order stays as it was
    APPLIED = "applied"  # the order was updated; a new order revision exists


class ChangeChannel(enum.StrEnum):
    """How the customer asked."""

    PHONE = "phone"
    EMAIL = "email"
    VISIT = "visit"
    API = "api"
    OTHER = "other"


class QualityImpact(enum.StrEnum):
    NONE = "none"
    MINOR = "minor"
    SIGNIFICANT = "significant"


class Department(enum.StrEnum):
    """The departments that review a major change (candidate group ids)."""

    TECHNICAL = "technical"
    PRODUCTION = "production"
    FINANCE = "finance"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


class ChangeRequest(Timestamped, Base):
    __tablename__ = "change_requests"
    __table_args__ = (UniqueConstraint("order_id", "request_no"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    request_no: Mapped[int] = mapped_column(Integer)  # 1, 2, … per order
    change_number: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. DO20261123-00001-C01
    description: Mapped[str] = mapped_column(Text)
    # What the customer wants changed: [{"line_no": 1, "width_mm": 1000, …}], only the fields that change.
    line_changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    new_delivery_date: Mapped[date | None]
    price_delta: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # price change agreed with the customer
    requested_by: Mapped[str] = mapped_column(String(120))
    channel: Mapped[ChangeChannel] = mapped_column(_enum(ChangeChannel, "change_channel"))
    status: Mapped[ChangeStatus] = mapped_column(_enum(ChangeStatus, "change_status"), default=ChangeStatus.RECEIVED)

    # Impact assessment (project department) and the change-impact decision.
    schedule_impact_days: Mapped[int | None] = mapped_column(Integer)
    quality_impact: Mapped[QualityImpact | None] = mapped_column(_enum(QualityImpact, "quality_impact"))
    cost_delta: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    assessment_note: Mapped[str | None] = mapped_column(Text)
    major: Mapped[bool | None] = mapped_column(Boolean)
    impact_reason: Mapped[str | None] = mapped_column(String(200))
    assessed_at: Mapped[datetime | None]

    # The customer's decision on a major change (recorded by sales).
    customer_approved: Mapped[bool | None] = mapped_column(Boolean)
    customer_note: Mapped[str | None] = mapped_column(Text)

    decided_at: Mapped[datetime | None]  # approved or rejected
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None]
    applied_revision: Mapped[int | None] = mapped_column(Integer)  # the order revision the change produced

    # The money effect, counted when applied: re-priced lines at the agreed discount plus price_delta.
    money_delta: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    contract_total_before: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    contract_total_after: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    contract_version: Mapped[int | None] = mapped_column(Integer)  # the amendment's contract version
    credit_due: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # paid beyond the new total: to refund
    extra_due: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # an increase no open installment holds

    reviews: Mapped[list[ChangeReview]] = relationship(
        back_populates="change_request", cascade="all, delete-orphan", order_by="ChangeReview.department"
    )


class ChangeReview(Base):
    """One department's review of a major change."""

    __tablename__ = "change_reviews"
    __table_args__ = (UniqueConstraint("change_request_id", "department"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    change_request_id: Mapped[int] = mapped_column(ForeignKey("change_requests.id", ondelete="CASCADE"), index=True)
    department: Mapped[Department] = mapped_column(_enum(Department, "change_department"))
    approved: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime] = mapped_column(server_default=func.now())

    change_request: Mapped[ChangeRequest] = relationship(back_populates="reviews")


class OrderRevision(Base):
    """A numbered snapshot of an order (header and door lines); revision 1 is the order as first taken."""

    __tablename__ = "order_revisions"
    __table_args__ = (UniqueConstraint("order_id", "revision"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    change_request_id: Mapped[int | None] = mapped_column(ForeignKey("change_requests.id", ondelete="SET NULL"))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
