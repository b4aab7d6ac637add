"""Tables of fulfilment: handover sheet and confirmations, shipments, acceptances, follow-up visits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base


class HandoverSheet(Base):
    """The order handover sheet (订单交接单) sales passes to project, customer service and finance."""

    __tablename__ = "handover_sheets"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    special_items: Mapped[list[str]] = mapped_column(JSONB)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    confirmations: Mapped[list[HandoverConfirmation]] = relationship(
        back_populates="sheet", cascade="all, delete-orphan", order_by="HandoverConfirmation.id"
    )


class HandoverConfirmation(Base):
    __tablename__ = "handover_confirmations"
    __table_args__ = (UniqueConstraint("sheet_id", "department"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("handover_sheets.id", ondelete="CASCADE"), index=True)
    department: Mapped[str] = mapped_column(String(40))  # candidate group id: project, customer-service, finance
    confirmed_by: Mapped[str] = mapped_column(String(120))
    confirmed_at: Mapped[datetime]
    comment: Mapped[str | None] = mapped_column(Text)

    sheet: Mapped[HandoverSheet] = relationship(back_populates="confirmations")


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    carrier: Mapped[str] = mapped_column(String(120))
    tracking_number: Mapped[str] = mapped_column(String(80))
    shipped_on: Mapped[date]
    delivered_on: Mapped[date | None]
    received_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Acceptance(Base):
    """One acceptance round with the customer; a failed round lists the defects to rework."""

    __tablename__ = "acceptances"
    __table_args__ = (UniqueConstraint("order_id", "round"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool]
    defects: Mapped[str | None] = mapped_column(Text)
    rework_note: Mapped[str | None] = mapped_column(Text)  # what installation did after the previous round
    accepted_by: Mapped[str | None] = mapped_column(String(120))  # the customer's representative
    certificate_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FollowUpVisit(Base):
    __tablename__ = "follow_up_visits"
    __table_args__ = (CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    satisfaction: Mapped[int] = mapped_column(Integer)
    comments: Mapped[str | None] = mapped_column(Text)
    visited_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
