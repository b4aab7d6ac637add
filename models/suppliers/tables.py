"""Tables of the supplier scorecards: one evaluation run, one evaluation (facts, score, class) per supplier."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base
from models.production.tables import Supplier


class SupplierClass(enum.StrEnum):
    """The classes of 001 §8 (分类管理): reward the excellent, warn or eliminate the poor."""

    EXCELLENT = "A"  # 优秀
    QUALIFIED = "B"  # 合格
    PROBATION = "C"  # 观察期 (警告)
    DISQUALIFIED = "D"  # 取消资格 (淘汰): never receives a purchase order


CLASS_LABELS: dict[str, str] = {
    SupplierClass.EXCELLENT: "优秀",
    SupplierClass.QUALIFIED: "合格",
    SupplierClass.PROBATION: "观察期",
    SupplierClass.DISQUALIFIED: "取消资格",
}


class SupplierEvaluationRun(Base):
    """One evaluation of every supplier over a period (a supplier-evaluation process instance)."""

    __tablename__ = "supplier_evaluation_runs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    supplier_count: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    process_instance_id: Mapped[str | None] = mapped_column(String(64))

    evaluations: Mapped[list[SupplierEvaluation]] = relationship(
        back_populates="run", order_by="SupplierEvaluation.seq"
    )


class SupplierEvaluation(Base):
    """A supplier's facts over the run's period, the sub-scores and score made from them, and the class.

    ``supplier_class`` and ``evaluated_at`` stay empty until the DMN supplier-class has decided (the
    run's instance ``seq - 1`` of the diagram's multi-instance records it).
    Rates are shares 0-1; a fact with no sample in the period is NULL and its sub-score keeps the
    supplier's previous value.
    """

    __tablename__ = "supplier_evaluations"
    __table_args__ = (UniqueConstraint("run_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("supplier_evaluation_runs.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    # incoming inspections in the period and how many passed
    inspections: Mapped[int] = mapped_column(Integer)
    inspections_passed: Mapped[int] = mapped_column(Integer)
    # purchase orders due in the period (and due by the period's end), and how many arrived in full by their due date
    deliveries_due: Mapped[int] = mapped_column(Integer)
    deliveries_on_time: Mapped[int] = mapped_column(Integer)
    # purchase orders raised in the period with a price and a reference price: their amount and its reference
    priced_orders: Mapped[int] = mapped_column(Integer)
    purchase_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    reference_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # returns the supplier was asked to replace (the re-order went to it), and how many it replaced in time
    returns: Mapped[int] = mapped_column(Integer)
    returns_handled: Mapped[int] = mapped_column(Integer)
    pass_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    on_time_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    price_ratio: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))  # purchase / reference amount
    service_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    quality_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    lead_time_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    price_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    service_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    class_before: Mapped[str] = mapped_column(String(2))
    supplier_class: Mapped[str | None] = mapped_column(String(2))
    reason: Mapped[str | None] = mapped_column(Text)
    evaluated_at: Mapped[datetime | None]

    run: Mapped[SupplierEvaluationRun] = relationship(back_populates="evaluations")
    supplier: Mapped[Supplier] = relationship()
