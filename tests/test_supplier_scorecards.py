"""Supplier scorecards without the engine: the facts over a period, the sub-scores and score, recording a
class, the scorecard listing, and the purchase step's choice by class (never a disqualified supplier)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings
from models.db import unit_of_work
from models.errors import InvalidInput
from models.orders.tables import Order, OrderStatus
from models.production import service as production
from models.production.tables import (
    GoodsReceipt,
    Inspection,
    InspectionKind,
    Material,
    PurchaseOrder,
    PurchaseStatus,
    Supplier,
)
from models.suppliers import service
from models.suppliers.tables import SupplierEvaluation

D = Decimal
TZ = ZoneInfo("Asia/Shanghai")
WEIGHTS = {"quality": D("0.4"), "lead_time": D("0.2"), "price": D("0.2"), "service": D("0.2")}
POLICY = production.SupplierPolicy(qualified_classes=["A", "B", "C"], weights=WEIGHTS)
CFG = service.ScorecardConfig(
    period_days=90, price_points_per_percent=D("2"), return_handling_days=7, timezone="Asia/Shanghai", policy=POLICY
)
TODAY = date(2099, 3, 31)  # the period is 2099-01-01 … 2099-03-31


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(10, 0), TZ)


def _supplier(s: Session, cls: str, scores: int, materials: list[str]) -> Supplier:
    supplier = Supplier(
        name=f"测试供应商 {uuid.uuid4().hex[:8]}",
        qualification_class=cls,
        quality_score=D(scores),
        lead_time_score=D(scores),
        price_score=D(scores),
        service_score=D(scores),
        materials=materials,
        unit_prices={},
    )
    s.add(supplier)
    s.flush()
    return supplier


def _order(s: Session) -> Order:
    order = Order(
        order_number=f"DO20990301-{uuid.uuid4().hex[:8]}",
        customer_name="湖州供应商评价测试有限公司",
        delivery_address="浙江省湖州市吴兴区",
        requested_delivery_date=date(2099, 6, 30),
        status=OrderStatus.IN_PRODUCTION,
    )
    s.add(order)
    s.flush()
    return order


def _po(
    s: Session,
    order: Order,
    supplier: Supplier,
    material: Material,
    *,
    created: str,
    due: str,
    received: str | None,
    inspected: bool | None = None,
    replaces: PurchaseOrder | None = None,
) -> PurchaseOrder:
    status = PurchaseStatus.ORDERED
    if received is not None:
        status = {None: PurchaseStatus.RECEIVED, True: PurchaseStatus.ACCEPTED, False: PurchaseStatus.RETURNED}[
            inspected
        ]
    po = PurchaseOrder(
        number=f"POT-{uuid.uuid4().hex[:12]}",
        order_id=order.id,
        material=material,
        supplier=supplier,
        quantity=D(10),
        status=status,
        unit_price=D("99.00"),
        due_date=date.fromisoformat(due),
        replaces_id=None if replaces is None else replaces.id,
        created_at=at(created),
    )
    s.add(po)
    s.flush()
    if received is not None:
        s.add(GoodsReceipt(purchase_order_id=po.id, quantity=D(10), received_by="仓库 周敏", received_at=at(received)))
        if inspected is not None:
            s.add(
                Inspection(
                    order_id=order.id,
                    kind=InspectionKind.INCOMING,
                    purchase_order_id=po.id,
                    round=1,
                    passed=inspected,
                    cause=None if inspected else "锁芯尺寸超差",
                    inspected_at=at(received),
                )
            )
    s.flush()
    s.expire(po)
    return po


def test_facts_scores_and_class_of_a_supplier(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        material = s.scalars(select(Material).where(Material.code == "LOCK-CORE-C")).one()
        assert material.reference_price == D("90.00")  # seeded by migration 0016
        other = s.scalars(select(Supplier).where(Supplier.name == "浙江永康金盾锁业有限公司")).one()
        # materials it supplies do not matter for its facts; a code nobody orders keeps it out of purchases
        supplier = _supplier(s, "B", 80, ["TEST-NOT-ORDERED"])
        order = _order(s)
        _po(s, order, supplier, material, created="2099-03-01", due="2099-03-10", received="2099-03-09", inspected=True)
        late = _po(
            s, order, supplier, material, created="2099-03-02", due="2099-03-12", received="2099-03-15", inspected=False
        )
        # the return went back to it, and it replaced the goods within the 7 days
        _po(
            s,
            order,
            supplier,
            material,
            created="2099-03-15",
            due="2099-03-22",
            received="2099-03-18",
            inspected=True,
            replaces=late,
        )
        _po(s, order, supplier, material, created="2099-03-05", due="2099-03-20", received=None)  # overdue, open
        _po(s, order, supplier, material, created="2099-03-25", due="2099-04-05", received=None)  # not due yet
        _po(s, order, supplier, material, created="2098-11-20", due="2098-12-01", received="2098-12-05")  # before
        failed_elsewhere = _po(
            s, order, supplier, material, created="2099-03-10", due="2099-03-19", received="2099-03-19", inspected=False
        )
        # this return was re-ordered from another supplier: it was not asked to replace the goods
        _po(s, order, other, material, created="2099-03-19", due="2099-03-24", received=None, replaces=failed_elsewhere)

        facts = service.supplier_facts(s, supplier.id, date(2099, 1, 1), TODAY, TODAY, CFG)
        assert (facts.inspections, facts.inspections_passed, facts.pass_rate) == (4, 2, D("0.5"))
        assert (facts.deliveries_due, facts.deliveries_on_time, facts.on_time_rate) == (5, 3, D("0.6"))
        # six orders raised in the period at 99.00 against the reference 90.00
        assert (facts.priced_orders, facts.purchase_amount, facts.reference_amount) == (6, D("5940.00"), D("5400.00"))
        assert facts.price_ratio == D("1.1")
        assert (facts.returns, facts.returns_handled, facts.service_rate) == (1, 1, D("1"))

        scores = service.sub_scores(facts, supplier, CFG)
        assert (scores.quality, scores.lead_time, scores.price, scores.service) == (D(50), D(60), D(80), D(100))
        assert scores.weighted(WEIGHTS) == D("68.00")

        # The run stores one evaluation per supplier; the diagram loads each by its index.
        run = service.start_run(s, CFG, today=TODAY, actor="test")
        assert (run["periodStart"], run["periodEnd"]) == ("2099-01-01", "2099-03-31")
        evaluation = s.scalars(
            select(SupplierEvaluation).where(
                SupplierEvaluation.run_id == run["evaluationRunId"], SupplierEvaluation.supplier_id == supplier.id
            )
        ).one()
        inputs = service.load_evaluation(s, run["evaluationRunId"], evaluation.seq - 1)
        assert inputs == {
            "evaluationId": evaluation.id,
            "supplierName": supplier.name,
            "currentClass": "B",
            "inspections": 4,
            "score": 68.0,
            "passRate": 0.5,
            "onTimeRate": 0.6,
        }
        with pytest.raises(InvalidInput):
            service.record_class(s, evaluation.id, None, None, actor="test", now=at("2099-03-31"))
        service.record_class(
            s, evaluation.id, "D", "来料检验合格率低于 80%，取消资格", actor="test", now=at("2099-03-31")
        )
        # a repeat changes nothing
        service.record_class(s, evaluation.id, "A", "重复", actor="test", now=at("2099-03-31"))
        s.flush()
        s.refresh(supplier)
        assert supplier.qualification_class == "D"
        assert (supplier.quality_score, supplier.lead_time_score, supplier.price_score) == (D(50), D(60), D(80))

        card = next(c for c in service.scorecards(s, POLICY) if c["supplier_id"] == supplier.id)
        assert (card["supplier_class"], card["class_label"], card["may_receive_orders"]) == ("D", "取消资格", False)
        assert card["score"] == D("68.00")
        latest = card["latest_evaluation"]
        assert latest["reason"] == "来料检验合格率低于 80%，取消资格"
        assert (latest["class_before"], latest["supplier_class"], latest["pass_rate"]) == ("B", "D", D("0.5"))
        s.rollback()


def test_a_fact_without_a_sample_keeps_the_previous_sub_score(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        supplier = _supplier(s, "A", 91, ["TEST-NOT-ORDERED"])
        facts = service.supplier_facts(s, supplier.id, date(2099, 1, 1), TODAY, TODAY, CFG)
        assert (facts.inspections, facts.deliveries_due, facts.priced_orders, facts.returns) == (0, 0, 0, 0)
        assert facts.pass_rate is None and facts.on_time_rate is None and facts.price_ratio is None
        scores = service.sub_scores(facts, supplier, CFG)
        assert (scores.quality, scores.lead_time, scores.price, scores.service) == (D(91), D(91), D(91), D(91))
        s.rollback()


def test_the_purchase_step_picks_by_class_and_never_a_disqualified_supplier(sessions: sessionmaker[Session]) -> None:
    code = f"TEST-CHOOSE-{uuid.uuid4().hex[:6]}"
    with unit_of_work(sessions) as s:
        best_but_disqualified = _supplier(s, "D", 100, [code])
        on_probation = _supplier(s, "C", 99, [code])
        qualified = _supplier(s, "B", 70, [code])
        also_qualified = _supplier(s, "B", 72, [code])
        # better class first, then the weighted score: the disqualified one's perfect scores do not count
        assert production.choose_supplier(s, code, POLICY).id == also_qualified.id
        assert production.choose_supplier(s, code, POLICY, avoid=[also_qualified.id]).id == qualified.id
        qualified.qualification_class = also_qualified.qualification_class = "D"
        assert production.choose_supplier(s, code, POLICY).id == on_probation.id
        # a policy that lists the disqualified class still never picks it
        listed = production.SupplierPolicy(qualified_classes=["A", "D"], weights=WEIGHTS)
        with pytest.raises(production.NoQualifiedSupplier):
            production.choose_supplier(s, code, listed)
        on_probation.qualification_class = "D"
        with pytest.raises(production.NoQualifiedSupplier) as refused:
            production.choose_supplier(s, code, POLICY)
        assert "没有可下单的供应商" in refused.value.reason
        assert best_but_disqualified.qualification_class == "D"
        s.rollback()


def test_settings_may_not_list_the_disqualified_class() -> None:
    with pytest.raises(ValueError, match="disqualified"):
        production.supplier_policy(Settings(_env_file=None, supplier_qualified_classes=["A", "D"]))
    assert production.supplier_policy(Settings(_env_file=None)).qualified_classes == ["A", "B", "C"]
