"""Production rules without the engine: plan scheduling, supplier choice, refusals that store nothing."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.db import unit_of_work
from models.errors import InvalidInput, NotFound
from models.orders.schemas import OrderIn
from models.orders.service import OrderLimits, create_order
from models.production import service
from models.production.schemas import DelayIn
from models.production.tables import (
    DelayCause,
    Material,
    MaterialAllocation,
    MaterialShortage,
    ProductionDelay,
    ProductionPlan,
    PurchaseOrder,
    Supplier,
)
from tests.conftest import order_payload, restore_seeded_suppliers
from tests.days import factory_day
from workers.runtime import BadJobData
from workers.tasks.production_record_progress import _percent

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
            today=factory_day(),
        )
        return order.id


def test_plan_is_scheduled_backwards_from_the_due_date(sessions: sessionmaker[Session]) -> None:
    order_id = _order(sessions, "计划排程测试有限公司")
    with unit_of_work(sessions) as s:
        out = service.create_plan(s, order_id, CFG, actor="test")
    assert out["productionDueDate"] == "2099-06-25"  # 2099-06-30 minus 5 days
    assert out["productionDueAt"] == "2099-06-25T10:00:00Z"  # 18:00 in Beijing
    assert "dueCheckInterval" not in out  # the engine reads the interval from configuration
    assert out["craftDocument"] == "GY-MD-01 V3.1"
    # No list travels through the engine: the stages are stored, the diagram loads one per loopCounter.
    assert out["stageCount"] == 2 and "stages" not in out
    with unit_of_work(sessions) as s:
        loaded = [service.load_stage(s, out["planId"], i) for i in range(out["stageCount"])]
        with pytest.raises(NotFound):
            service.load_stage(s, out["planId"], 2)
    assert [(st["stageName"], st["stageOwner"], st["stagePlannedStart"], st["stageMilestone"]) for st in loaded] == [
        ("下料", "张工", "2099-06-19", "2099-06-22"),  # working days: Fri 19, (weekend), Mon 22
        ("装配", "李工", "2099-06-23", "2099-06-25"),
    ]
    assert all(isinstance(st["stageId"], int) for st in loaded)
    with unit_of_work(sessions) as s:
        assert service.create_plan(s, order_id, CFG, actor="test")["planVersion"] == 2


def test_best_qualified_supplier_is_chosen_and_a_failed_one_avoided(sessions: sessionmaker[Session]) -> None:
    restore_seeded_suppliers(sessions)
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
    with unit_of_work(sessions) as s:
        plan_id = service.create_plan(s, order_id, CFG, actor="test")["planId"]
    with pytest.raises(InvalidInput) as err, unit_of_work(sessions) as s:
        service.check_materials(s, plan_id, bom, actor="test")
    assert err.value.loc == ("settings", "production_bom", "wooden")
    with sessions() as s:
        allocated = s.scalar(select(func.count()).where(MaterialAllocation.order_id == order_id))
        assert allocated == 0
        assert s.scalar(select(func.count()).where(MaterialShortage.plan_id == plan_id)) == 0


def test_shortages_are_stored_by_plan_and_bought_by_index(sessions: sessionmaker[Session]) -> None:
    """The purchase multi-instance gets only a count; instance n buys the plan's stored shortage n."""
    order_id = _order(sessions, "缺料存储测试有限公司")
    with unit_of_work(sessions) as s:
        plan_id = service.create_plan(s, order_id, CFG, actor="test")["planId"]
        # Materials of this test only, so the shared stock the engine tests count on stays untouched.
        s.add_all(
            [
                Material(code="TST-HANDLE", name="测试拉手", unit="只", on_hand=Decimal("5")),
                Material(code="TST-GASKET", name="测试密封条", unit="米", on_hand=Decimal("0")),
                Material(code="TST-SCREW", name="测试螺钉", unit="个", on_hand=Decimal("1000")),
                Supplier(
                    name="测试五金供应商",
                    qualification_class="A",
                    quality_score=Decimal("90"),
                    lead_time_score=Decimal("90"),
                    price_score=Decimal("90"),
                    service_score=Decimal("90"),
                    materials=["TST-HANDLE", "TST-GASKET", "TST-SCREW"],
                ),
            ]
        )
    # The order has 12 steel doors and 36 wooden ones (order_payload).
    bom = {
        "steel_security": {"TST-SCREW": "10", "TST-HANDLE": "1"},
        "wooden": {"TST-GASKET": "5.5", "TST-SCREW": "10"},
    }
    with unit_of_work(sessions) as s:
        found = service.check_materials(s, plan_id, bom, actor="test")
        on_hand = {m.code: m.on_hand for m in s.scalars(select(Material).where(Material.code.like("TST-%")))}
    # One entry per short material, by material code; the screws are in stock and only set aside.
    assert [(f["materialCode"], f["quantity"]) for f in found] == [("TST-GASKET", "198"), ("TST-HANDLE", "7")]
    assert on_hand == {"TST-HANDLE": 0, "TST-GASKET": 0, "TST-SCREW": 520}
    with unit_of_work(sessions) as s:
        # Checking the same plan again keeps the stored shortages and sets nothing more aside.
        assert service.check_materials(s, plan_id, bom, actor="test") == found
        stored = service.stored_shortages(s, plan_id)
        assert [(sh.seq, sh.material.code, sh.quantity) for sh in stored] == [
            (1, "TST-GASKET", Decimal("198")),
            (2, "TST-HANDLE", Decimal("7")),
        ]
        assert s.scalars(select(Material).where(Material.code == "TST-SCREW")).one().on_hand == 520
    with unit_of_work(sessions) as s:
        second = service.raise_purchase_order(s, plan_id, 1, POLICY, actor="test", today=factory_day())
        first = service.raise_purchase_order(s, plan_id, 0, POLICY, actor="test", today=factory_day())
        with pytest.raises(NotFound):
            service.raise_purchase_order(s, plan_id, 2, POLICY, actor="test", today=factory_day())
    with sessions() as s:
        bought = {
            po.number: (po.material.code, po.quantity, po.supplier.name)
            for po in s.scalars(select(PurchaseOrder).where(PurchaseOrder.order_id == order_id))
        }
    assert bought == {
        first["purchaseOrderNumber"]: ("TST-GASKET", Decimal("198"), "测试五金供应商"),
        second["purchaseOrderNumber"]: ("TST-HANDLE", Decimal("7"), "测试五金供应商"),
    }
    assert "测试拉手" in second["purchaseDescription"]


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


def test_progress_percent_submitted_untyped_by_tasklist_is_read_leniently() -> None:
    assert [_percent({"progressPercent": v}) for v in (60, 60.0, "60", 100)] == [60, 60, 60, 100]
    for bad in (60.5, None, "sixty", True):
        with pytest.raises(BadJobData):
            _percent({"progressPercent": bad})
