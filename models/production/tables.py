"""Tables of the production domain."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Timestamped


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


# Numbers purchase orders PO<yyyymmdd>-<n>, taken before the row is written.
PURCHASE_ORDER_NUMBER_SEQ = Sequence("purchase_order_number_seq", metadata=Base.metadata)


class CraftDocument(Base):
    """A versioned craft document set (process flow, operating spec, quality standard)."""

    __tablename__ = "craft_documents"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date]
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str | None] = mapped_column(Text)


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"
    PACKED = "packed"
    CANCELLED = "cancelled"  # the order was cancelled before packing


class ProductionPlan(Timestamped, Base):
    __tablename__ = "production_plans"
    __table_args__ = (UniqueConstraint("order_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus, "plan_status"), default=PlanStatus.DRAFT)
    craft_document_id: Mapped[int] = mapped_column(ForeignKey("craft_documents.id"))
    due_date: Mapped[date]
    review_comments: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    packed_at: Mapped[datetime | None]
    # Set when stage dates were counted Monday to Friday: a year's official schedule was missing.
    calendar_warning: Mapped[str | None] = mapped_column(Text)

    craft_document: Mapped[CraftDocument] = relationship()
    stages: Mapped[list[ProductionStage]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="ProductionStage.seq"
    )


class StageStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the order was cancelled before the stage was finished


class ProductionStage(Base):
    __tablename__ = "production_stages"
    __table_args__ = (UniqueConstraint("plan_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("production_plans.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    owner: Mapped[str] = mapped_column(String(120))
    planned_start: Mapped[date]
    milestone: Mapped[date]  # the stage's planned finish
    status: Mapped[StageStatus] = mapped_column(_enum(StageStatus, "stage_status"), default=StageStatus.PLANNED)
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None]

    plan: Mapped[ProductionPlan] = relationship(back_populates="stages")


class ProgressReport(Base):
    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("production_stages.id", ondelete="CASCADE"), index=True)
    percent: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    completed: Mapped[bool] = mapped_column(Boolean)
    reported_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Material(Base):
    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(10))
    on_hand: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # The price purchasing budgets with (per unit, yuan); supplier scorecards compare purchase prices with it.
    reference_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))


class MaterialAllocation(Base):
    """Material set aside for an order: from stock at the material check, or from an accepted receipt."""

    __tablename__ = "material_allocations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    source: Mapped[str] = mapped_column(String(40))  # "stock" or the purchase-order number
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class MaterialShortage(Base):
    """What the material check found short for an approved plan, one row per material.

    The diagram buys each in one instance of its parallel multi-instance: instance ``loopCounter``
    (0-based) loads the row ``seq = loopCounter + 1``, so no list travels through the engine.
    """

    __tablename__ = "material_shortages"
    __table_args__ = (UniqueConstraint("plan_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("production_plans.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    material: Mapped[Material] = relationship()


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # A 优秀, B 合格, C 观察期, D 取消资格 (models/suppliers: set by the scorecard's DMN supplier-class)
    qualification_class: Mapped[str] = mapped_column(String(2))
    quality_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    lead_time_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    price_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    service_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    materials: Mapped[list[str]] = mapped_column(JSONB)  # material codes it supplies
    # Quoted unit prices by material code, as decimal strings ("86.00"); a purchase order takes its price here.
    unit_prices: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict, server_default="{}")
    # Agreed lead time: a purchase order is due this many days after it is raised (else the settings' default).
    lead_time_days: Mapped[int | None] = mapped_column(Integer)


class PurchaseStatus(enum.StrEnum):
    ORDERED = "ordered"
    PARTIALLY_RECEIVED = "partially_received"  # a short delivery: still waiting for the rest
    RECEIVED = "received"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class PurchaseOrder(Timestamped, Base):
    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[PurchaseStatus] = mapped_column(_enum(PurchaseStatus, "purchase_status"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"))
    # Set when the order was cancelled while this purchase was still open: purchasing settles it with the supplier.
    cancellation_requested_at: Mapped[datetime | None]
    # The supplier's price for this order (from its quote) and the date it promised the goods by.
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    due_date: Mapped[date | None]

    material: Mapped[Material] = relationship()
    supplier: Mapped[Supplier] = relationship()
    receipts: Mapped[list[GoodsReceipt]] = relationship(back_populates="purchase_order", order_by="GoodsReceipt.id")

    @property
    def received_quantity(self) -> Decimal:
        """What has arrived so far: receipts accumulate until the ordered quantity is in."""
        return sum((r.quantity for r in self.receipts), Decimal("0"))

    @property
    def outstanding_quantity(self) -> Decimal:
        return self.quantity - self.received_quantity


class GoodsReceipt(Base):
    __tablename__ = "goods_receipts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    delivery_note: Mapped[str | None] = mapped_column(String(80))
    received_by: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="receipts")


class InspectionKind(enum.StrEnum):
    INCOMING = "incoming"
    FINAL = "final"


class Inspection(Base):
    """An incoming (purchase order) or final (plan) inspection with its result and cause."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[InspectionKind] = mapped_column(_enum(InspectionKind, "inspection_kind"))
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"))
    round: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    cause: Mapped[str | None] = mapped_column(Text)
    rework_note: Mapped[str | None] = mapped_column(Text)  # the rework done before this re-inspection
    inspected_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DelayCause(enum.StrEnum):
    FORCE_MAJEURE = "force_majeure"
    INTERNAL = "internal"


class ProductionDelay(Base):
    __tablename__ = "production_delays"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("production_plans.id", ondelete="CASCADE"))
    cause: Mapped[DelayCause] = mapped_column(_enum(DelayCause, "delay_cause"))
    cause_detail: Mapped[str] = mapped_column(Text)
    remedy: Mapped[str] = mapped_column(Text)
    old_due_date: Mapped[date]
    new_due_date: Mapped[date]
    responsibility: Mapped[str] = mapped_column(String(200))
    customer_informed: Mapped[bool] = mapped_column(Boolean)
    notice_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
