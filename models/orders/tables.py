"""Tables of the orders domain."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, Numeric, Sequence, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Timestamped


class DoorType(enum.StrEnum):
    WOODEN = "wooden"
    STEEL_SECURITY = "steel_security"
    FIRE = "fire"
    GLASS = "glass"
    ALUMINIUM = "aluminium"


class Handing(enum.StrEnum):
    """Opening direction as seen from the outside (hinge side, opening into or out of the room)."""

    LEFT_INSWING = "left_inswing"
    RIGHT_INSWING = "right_inswing"
    LEFT_OUTSWING = "left_outswing"
    RIGHT_OUTSWING = "right_outswing"
    SLIDING = "sliding"


class OrderStatus(enum.StrEnum):
    RECEIVED = "received"
    REGISTERED = "registered"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    COMPLETED = "completed"


ORDER_NUMBER_SEQ = Sequence("order_number_seq", metadata=Base.metadata)


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


class Order(Timestamped, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    delivery_address: Mapped[str] = mapped_column(String(500))
    requested_delivery_date: Mapped[date]
    salesperson: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"), default=OrderStatus.RECEIVED)
    process_instance_key: Mapped[int | None] = mapped_column(BigInteger, unique=True)

    lines: Mapped[list[DoorLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="DoorLine.line_no"
    )

    @property
    def total_amount(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0.00"))


class DoorLine(Base):
    __tablename__ = "door_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    door_type: Mapped[DoorType] = mapped_column(_enum(DoorType, "door_type"))
    width_mm: Mapped[int] = mapped_column(Integer)
    height_mm: Mapped[int] = mapped_column(Integer)
    wall_thickness_mm: Mapped[int | None] = mapped_column(Integer)
    material: Mapped[str | None] = mapped_column(String(120))
    finish: Mapped[str | None] = mapped_column(String(120))
    handing: Mapped[Handing] = mapped_column(_enum(Handing, "handing"))
    lock_hardware: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    order: Mapped[Order] = relationship(back_populates="lines")
