"""Production rules without the engine: plan scheduling, supplier choice, refusals that store nothing."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.db import unit_of_work
from models.errors import InvalidInput
from models.orders.schemas import OrderIn
from models.orders.service import OrderLimits, create_order
from models.production import service
from models.production.schemas import DelayIn
from models.production.tables import DelayCause, MaterialAllocation, ProductionDelay, ProductionPlan
from tests.conftest import order_payload

CFG = service.PlanConfig(
    due_buffer_days=5,
    due_time=time(18, 0),
    timezone="Asia/Shanghai",
    stages=[service.StagePlan("下料", "张工", 2), service.StagePlan("装配", "李工", 3)],
)
POLICY = service.SupplierPolicy(
    qualified_classes=["A", "B"],
    weights={
        "quality": Decimal("0.4"),
        "lead_time": Decimal("0.2"),
        "price": Decimal("0.2"),
        "service": Decimal("0.2"),
    },
)


def _order(sessions: sessionmaker[Session], customer: str) -> int:
    """An order stored through the service, without a door-order instance (no engine needed)."""
    with unit_of_work(sessions) as s:
        order = create_order(
            s,
            OrderIn.model_validate(order_payload(customer_name=customer, requested_delivery_date="2099-06-30")),
            lambda _variables: None,  # type: ignore[arg-type,return-value]
            limits=OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500),
            actor="test",
        )
        return order.id


def test_plan_is_scheduled_backwards_from_the_due_date(sessions: sessionmaker[Session]) -> None:
    order_id = _order(sessions, "计划排程测试有限公司")
    with unit_of_work(sessions) as s:
        out = service.create_plan(s, order_id, CFG, actor="test")
    assert out["productionDueDate"] == "2099-06-25"  # 2099-06-30 minus 5 days
    assert out["productionDueAt"] == "2099-06-25T10:00:00Z"  # 18:00 in Beijing
    assert out["craftDocument"] == "GY-MD-01 V3.1"
    assert [(st["name"], st["plannedStart"], st["milestone"]) for st in out["stages"]] == [
        ("下料", "2099-06-21", "2099-06-22"),
        ("装配", "2099-06-23", "2099-06-25"),
    ]
    with unit_of_work(sessions) as s:
        assert service.create_plan(s, order_id, CFG, actor="test")["planVersion"] == 2


def test_best_qualified_supplier_is_chosen_and_a_failed_one_avoided(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        best = service.choose_supplier(s, "LOCK-CORE-C", POLICY)
        assert best.qualification_class in {"A", "B"}
        assert best.name == "浙江永康金盾锁业有限公司"  # the class D supplier is cheaper but not qualified
        other = service.choose_supplier(s, "LOCK-CORE-C", POLICY, avoid=[best.id])
        assert other.name == "温州安居五金制品厂"
        only = service.choose_supplier(s, "WOOD-PANEL-40", POLICY, avoid=[999_999])
        assert only.name == "德华兔宝宝装饰新材股份有限公司"


def test_unknown_door_type_in_the_bill_of_materials_stores_nothing(sessions: sessionmaker[Session]) -> None:
    order_id = _order(sessions, "物料清单缺失测试有限公司")
    bom = {"steel_security": {"LOCK-CORE-C": "1"}}  # no entry for the order's wooden doors
    with pytest.raises(InvalidInput) as err, unit_of_work(sessions) as s:
        service.check_materials(s, order_id, bom, actor="test")
    assert err.value.loc == ("settings", "production_bom", "wooden")
    with sessions() as s:
        allocated = s.scalar(select(func.count()).where(MaterialAllocation.order_id == order_id))
        assert allocated == 0


def test_a_delay_must_move_the_date_later(sessions: sessionmaker[Session]) -> None:
    order_id = _order(sessions, "延期日期校验测试有限公司")
    with unit_of_work(sessions) as s:
        plan_id = service.create_plan(s, order_id, CFG, actor="test")["planId"]
    with unit_of_work(sessions) as s:
        due = s.get(ProductionPlan, plan_id).due_date  # type: ignore[union-attr]
    earlier = DelayIn(
        cause=DelayCause.INTERNAL,
        cause_detail="设备故障",
        remedy="加班",
        new_due_date=due - timedelta(days=1),
        responsibility="生产部",
    )
    with pytest.raises(InvalidInput) as err, unit_of_work(sessions) as s:
        service.record_delay(s, plan_id, earlier, actor="test")
    assert err.value.loc == ("newDueDate",)
    with sessions() as s:
        assert s.scalar(select(func.count()).where(ProductionDelay.plan_id == plan_id)) == 0
    assert due == date(2099, 6, 25)
