"""Tables of the risk register: one row per risk of an order, raised by a process or by staff."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


class RiskCategory(enum.StrEnum):
    MARKET = "market"
    TECHNICAL = "technical"
    QUALITY = "quality"
    CUSTOMER = "customer"


class RiskLevel(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class RiskStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RiskSource(enum.StrEnum):
    STAFF = "staff"
    PRODUCTION_DELAY = "production_delay"
    FINAL_INSPECTION_FAILED = "final_inspection_failed"
    INCOMING_INSPECTION_FAILED = "incoming_inspection_failed"
    INSTALLATION_INSPECTION_FAILED = "installation_inspection_failed"
    INSTALLMENT_OVERDUE = "installment_overdue"
    MAJOR_CHANGE = "major_change"
    CUSTOMER_RISK_FLAG = "customer_risk_flag"


class Risk(Base):
    """A risk of an order. A process raises one per source event: ``(order, source, source_ref)`` is unique
    (staff entries have no source_ref, so any number of them may exist)."""

    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("order_id", "source", "source_ref"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    category: Mapped[RiskCategory] = mapped_column(_enum(RiskCategory, "risk_category"), index=True)
    level: Mapped[RiskLevel] = mapped_column(_enum(RiskLevel, "risk_level"), index=True)
    status: Mapped[RiskStatus] = mapped_column(_enum(RiskStatus, "risk_status"), index=True, default=RiskStatus.OPEN)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    owner_group: Mapped[str] = mapped_column(String(60))
    owner_user: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[RiskSource] = mapped_column(_enum(RiskSource, "risk_source"))
    source_ref: Mapped[str | None] = mapped_column(String(80))
    raised_by: Mapped[str] = mapped_column(String(120))
    raised_at: Mapped[datetime] = mapped_column(server_default=func.now())
    closed_by: Mapped[str | None] = mapped_column(String(120))
    closed_at: Mapped[datetime | None]
    close_note: Mapped[str | None] = mapped_column(Text)
