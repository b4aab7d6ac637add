"""Tables of the installation domain."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base, Timestamped


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


class InstallationStatus(enum.StrEnum):
    SCHEDULING = "scheduling"
    PLANNED = "planned"
    WAITING_REPLACEMENT = "waiting_replacement"
    INSTALLED = "installed"
    COMPLETED = "completed"


class Installation(Timestamped, Base):
    """One installation per order (the process may reschedule it many times)."""

    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    status: Mapped[InstallationStatus] = mapped_column(_enum(InstallationStatus, "installation_status"))
    site_address: Mapped[str] = mapped_column(String(500))
    scheduled_date: Mapped[date | None]
    team: Mapped[str | None] = mapped_column(String(120))
    completed_at: Mapped[datetime | None]


class SiteCheck(Base):
    """A pre-install check of the site and the goods."""

    __tablename__ = "installation_site_checks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"), index=True)
    site_ready: Mapped[bool] = mapped_column(Boolean)
    goods_damaged: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Replacement(Base):
    """Replacement goods requested for damaged goods found before installing."""

    __tablename__ = "installation_replacements"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"), index=True)
    damage_notes: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(server_default=func.now())
    arrived_at: Mapped[datetime | None]


class InstallationInspection(Base):
    __tablename__ = "installation_inspections"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    cause: Mapped[str | None] = mapped_column(Text)
    fix_note: Mapped[str | None] = mapped_column(Text)
    inspected_at: Mapped[datetime] = mapped_column(server_default=func.now())
