"""Tables of the orders domain."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, Numeric, Sequence, String, Text, UniqueConstraint, func
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


# What people read on documents (contract, handover sheet, certificate).
DOOR_TYPE_NAMES = {
    DoorType.WOODEN: "木门",
    DoorType.STEEL_SECURITY: "钢质防盗门",
    DoorType.FIRE: "防火门",
    DoorType.GLASS: "玻璃门",
    DoorType.ALUMINIUM: "铝合金门",
}
HANDING_NAMES = {
    Handing.LEFT_INSWING: "左内开",
    Handing.RIGHT_INSWING: "右内开",
    Handing.LEFT_OUTSWING: "左外开",
    Handing.RIGHT_OUTSWING: "右外开",
    Handing.SLIDING: "推拉",
}


class OrderStatus(enum.StrEnum):
    RECEIVED = "received"
    REGISTERED = "registered"
    UNDER_REVIEW = "under_review"
    NEGOTIATING = "negotiating"
    REJECTED = "rejected"
    PRICING = "pricing"
    CONTRACTING = "contracting"
    SIGNED = "signed"
    HANDED_OVER = "handed_over"
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"
    INSTALLING = "installing"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    ON_HOLD = "on_hold"  # a sales manager paused it: its process tree is suspended (status_before_hold says where)
    CANCELLED = "cancelled"  # a sales manager cancelled it; final


class PriceDecision(enum.StrEnum):
    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


ORDER_NUMBER_SEQ = Sequence("order_number_seq", metadata=Base.metadata)


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


class Order(Timestamped, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    customer_email: Mapped[str | None] = mapped_column(String(200))
    delivery_address: Mapped[str] = mapped_column(String(500))
    requested_delivery_date: Mapped[date]
    # Set when sales agrees a new date with the customer after a "not feasible" review.
    agreed_delivery_date: Mapped[date | None]
    # Discount the customer asked for when ordering (percent of the list total); pricing starts from it.
    requested_discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    salesperson: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"), default=OrderStatus.RECEIVED)
    process_instance_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The money effect of the changes applied after the price was agreed (and every agreed price delta):
    # the contract total is the accepted net price plus this.
    price_adjustment: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"), server_default="0")
    # Hold and cancellation (models/orders/hold.py): the status to resume to, who and why.
    status_before_hold: Mapped[OrderStatus | None] = mapped_column(_enum(OrderStatus, "order_status_before_hold"))
    hold_reason: Mapped[str | None] = mapped_column(Text)
    held_at: Mapped[datetime | None]
    held_by: Mapped[str | None] = mapped_column(String(120))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(120))
    # What the customer had paid when the order was cancelled: owed back (refund or credit, finance decides).
    refund_due: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # The authenticated caller (engine user id, never a typed field) who created the order: a shop front
    # sees only the orders it brought in (api/routes/orders.py).
    created_by: Mapped[str | None] = mapped_column(String(64), index=True)

    lines: Mapped[list[DoorLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="DoorLine.line_no"
    )

    @property
    def total_amount(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0.00"))

    @property
    def delivery_date(self) -> date:
        """The date the factory works to: the one agreed in negotiation, else the one asked for."""
        return self.agreed_delivery_date or self.requested_delivery_date


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


class OrderReview(Base):
    """One round of the departments' order review and the feasibility the DMN table decided."""

    __tablename__ = "order_reviews"
    __table_args__ = (UniqueConstraint("order_id", "round"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    target_date: Mapped[date]
    review_date: Mapped[date]
    lead_time_days: Mapped[int] = mapped_column(Integer)
    production_ok: Mapped[bool]
    production_earliest_date: Mapped[date | None]
    production_comment: Mapped[str | None] = mapped_column(Text)
    material_ok: Mapped[bool]
    material_earliest_date: Mapped[date | None]
    material_comment: Mapped[str | None] = mapped_column(Text)
    installation_ok: Mapped[bool]
    installation_earliest_date: Mapped[date | None]
    installation_comment: Mapped[str | None] = mapped_column(Text)
    feasible: Mapped[bool | None]
    reason: Mapped[str | None] = mapped_column(String(200))
    negotiation_outcome: Mapped[str | None] = mapped_column(String(20))  # agreed / rejected
    negotiation_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PriceApproval(Base):
    """One pricing round: the figures, who must approve (DMN) and their decision."""

    __tablename__ = "price_approvals"
    __table_args__ = (UniqueConstraint("order_id", "round"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    list_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    net_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    approver_group: Mapped[str | None] = mapped_column(String(40))
    decision: Mapped[PriceDecision] = mapped_column(_enum(PriceDecision, "price_decision"))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
