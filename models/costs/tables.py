"""Tables of the cost domain: the material price list, budgets per order and version, accruals, overrun flags."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


class MaterialPrice(Base):
    """The price list: a material's unit price (CNY, excluding tax) from a date on."""

    __tablename__ = "material_prices"
    __table_args__ = (UniqueConstraint("material_code", "valid_from"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    material_code: Mapped[str] = mapped_column(ForeignKey("materials.code"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    valid_from: Mapped[date]


class CostBudget(Base):
    """An order's cost budget, one row per version (1 at signing, one more per applied change that costs).

    ``inputs`` keeps what it was computed from: bill of materials lines with their prices, stages with days,
    doors and the labour rate, the overhead, rework and overrun rates.
    """

    __tablename__ = "cost_budgets"
    __table_args__ = (
        UniqueConstraint("order_id", "version"),
        UniqueConstraint("order_id", "source", name="uq_cost_budgets_order_id_source"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(60))  # "contract:<number> v<version>" or "change:<id>"
    materials: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    labour: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    overhead: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    adjustments: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))  # assessed change costs
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AccrualKind(enum.StrEnum):
    STOCK_ISSUE = "stock_issue"  # material set aside from stock for the order
    GOODS_RECEIPT = "goods_receipt"  # a delivery received against one of the order's purchase orders
    GOODS_RETURN = "goods_return"  # goods returned after a failed incoming inspection (a credit)
    STAGE_WORK = "stage_work"  # a production stage reported finished
    REWORK = "rework"  # a failed final or installation inspection
    REPLACEMENT = "replacement"  # replacement goods (damaged at installation, or replaced in after-sales)


class CostAccrual(Base):
    """One actual cost of an order, keyed by the fact it comes from: a repeated fact adds nothing."""

    __tablename__ = "cost_accruals"
    __table_args__ = (UniqueConstraint("kind", "source_ref"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AccrualKind] = mapped_column(_enum(AccrualKind, "accrual_kind"))
    source_ref: Mapped[str] = mapped_column(String(80))  # e.g. the receipt id, the stage id, the inspection id
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # negative for a credit (returned goods)
    description: Mapped[str] = mapped_column(Text)  # Chinese, for the cost sheet
    basis: Mapped[dict[str, Any]] = mapped_column(JSONB)  # quantity × price, days × doors × rate …
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CostOverrun(Base):
    """The order's over-budget flag: set when actual cost passes budget × (1 + overrun share), cleared below."""

    __tablename__ = "cost_overruns"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean)
    budget_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    actual_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    overrun_share: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    flagged_at: Mapped[datetime] = mapped_column(server_default=func.now())
    cleared_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
