"""Supplier scorecards on the real engine: the supplier-evaluation process classifies by DMN supplier-class,
the purchase step never picks a disqualified supplier (not even the cheapest), and when every candidate is
disqualified purchasing gets a task instead of an incident."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import identity, stack
from doorflow.operaton import parse_date
from doorflow.staff import SimulatedStaff
from models.db import unit_of_work
from models.orders.tables import Order, OrderStatus
from models.production.tables import (
    GoodsReceipt,
    Inspection,
    InspectionKind,
    Material,
    PurchaseOrder,
    PurchaseStatus,
    Supplier,
)
from models.suppliers.service import PROCESS_ID
from tests.conftest import LiveEngine
from tests.days import factory_day
from tests.test_production_engine import start_production

pytestmark = pytest.mark.engine

JINDUN = "浙江永康金盾锁业有限公司"  # A, dearest lock cores (95.00)
ANJU = "温州安居五金制品厂"  # B, cheaper (88.00)
YIWU = "义乌低价锁具批发部"  # D (disqualified), cheapest (62.00)
LOCKS = [
    {"door_type": "steel_security", "width_mm": 960, "height_mm": 2050, "handing": "left_inswing", "quantity": 40,
     "unit_price": "2380.00"},
]  # fmt: skip


def api_user() -> tuple[str, str]:
    """Who the tests call the API as (the auth helper's role matrix: purchasing may call these routes)."""
    return identity.credentials("doorflow")


@pytest.fixture
def purchasing_api(api: TestClient) -> TestClient:
    api.auth = api_user()
    return api


@pytest.fixture
def restore_suppliers(sessions: sessionmaker[Session]) -> Iterator[None]:
    """Classes and scores are shared by every test: put the seeded ones back afterwards."""
    fields = ("qualification_class", "quality_score", "lead_time_score", "price_score", "service_score")
    with unit_of_work(sessions) as s:
        saved = {sup.id: {f: getattr(sup, f) for f in fields} for sup in s.scalars(select(Supplier))}
    yield
    with unit_of_work(sessions) as s:
        for sup in s.scalars(select(Supplier)):
            for f, value in saved.get(sup.id, {}).items():
                setattr(sup, f, value)


def _supplier_id(s: Session, name: str) -> int:
    return s.scalars(select(Supplier.id).where(Supplier.name == name)).one()


def _failed_deliveries(sessions: sessionmaker[Session], supplier_name: str, count: int) -> None:
    """``count`` lock-core deliveries of the supplier this week that failed incoming inspection."""
    with unit_of_work(sessions) as s:
        material = s.scalars(select(Material).where(Material.code == "LOCK-CORE-C")).one()
        order = Order(
            order_number=f"DO20990501-{uuid.uuid4().hex[:8]}",
            customer_name="嘉兴来料不合格测试有限公司",
            delivery_address="浙江省嘉兴市南湖区",
            requested_delivery_date=date(2099, 6, 30),
            status=OrderStatus.IN_PRODUCTION,
        )
        s.add(order)
        s.flush()
        for _ in range(count):
            po = PurchaseOrder(
                number=f"POT-{uuid.uuid4().hex[:12]}",
                order_id=order.id,
                material_id=material.id,
                supplier_id=_supplier_id(s, supplier_name),
                quantity=Decimal(20),
                status=PurchaseStatus.RETURNED,
                unit_price=Decimal("88.00"),
                due_date=factory_day(),
            )
            s.add(po)
            s.flush()
            s.add(GoodsReceipt(purchase_order_id=po.id, quantity=Decimal(20), received_by="仓库 周敏"))
            s.add(
                Inspection(
                    order_id=order.id,
                    kind=InspectionKind.INCOMING,
                    purchase_order_id=po.id,
                    round=1,
                    passed=False,
                    cause="锁芯防技术开启时间不达标",
                )
            )


def _wait(predicate: Any, timeout_s: float = 120) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise TimeoutError("condition not reached")


def _lock_core_orders(api: TestClient, order_id: int) -> list[dict[str, Any]]:
    return [po for po in api.get(f"/orders/{order_id}/purchase-orders").json() if po["material_code"] == "LOCK-CORE-C"]


def test_evaluation_disqualifies_on_the_engine_and_the_purchase_skips_the_cheapest_disqualified(
    purchasing_api: TestClient,
    live_engine: LiveEngine,
    workers: stack.Child,
    sessions: sessionmaker[Session],
    restore_suppliers: None,
) -> None:
    api = purchasing_api
    # 安居 delivered three lots of lock cores this period and every one failed incoming inspection.
    _failed_deliveries(sessions, ANJU, 3)
    started = api.post("/suppliers/scorecards/evaluate")
    assert started.status_code == 202, started.text
    pid = started.json()["process_instance_id"]
    _wait(lambda: live_engine.history.instance_state(pid) == "COMPLETED")
    assert live_engine.history.incidents(pid) == []
    # The DMN decided on the engine (history holds the decision instances, one per supplier).
    decisions = live_engine.client.get(
        "/history/decision-instance", processInstanceId=pid, decisionDefinitionKey="supplier-class"
    )
    cards = {c["name"]: c for c in api.get("/suppliers/scorecards").json()}
    assert len(decisions) == len(cards)

    anju = cards[ANJU]
    assert (anju["supplier_class"], anju["class_label"], anju["may_receive_orders"]) == ("D", "取消资格", False)
    latest = anju["latest_evaluation"]
    assert latest["class_before"] == "B" and latest["reason"] == "来料检验合格率低于 80%，取消资格"
    assert latest["inspections"] >= 3 and Decimal(latest["pass_rate"]) < Decimal("0.8")
    assert Decimal(anju["quality_score"]) == Decimal(100) * Decimal(latest["pass_rate"])
    # 义乌 stays disqualified (re-admission is purchasing's decision, not a score's)
    assert cards[YIWU]["supplier_class"] == "D"
    assert cards[YIWU]["latest_evaluation"]["reason"] == "已取消资格：恢复须经采购部重新准入评审"
    # 金盾's class in this shared test database follows the deliveries other tests made: purchasing confirms
    # it as A, so what the purchase step picks below depends on this test's facts only.
    with unit_of_work(sessions) as s:
        jindun_id = _supplier_id(s, JINDUN)
    confirmed = api.post(f"/suppliers/{jindun_id}/class", json={"supplier_class": "A", "reason": "年度审核优秀"})
    assert confirmed.status_code == 200 and confirmed.json()["may_receive_orders"] is True, confirmed.text

    # The cheapest lock cores are 义乌's, then 安居's: both disqualified, so 金盾 gets the order.
    order, prod_pid = start_production(api, live_engine, "宁波选供应商测试有限公司", lines=LOCKS)
    staff = SimulatedStaff(live_engine.client, live_engine.history)
    pos = staff.work_until(prod_pid, lambda: _lock_core_orders(api, order["id"]), timeout_s=180)
    assert [po["supplier_name"] for po in pos] == [JINDUN]
    with unit_of_work(sessions) as s:
        po = s.scalars(select(PurchaseOrder).where(PurchaseOrder.number == pos[0]["number"])).one()
        assert po.unit_price == Decimal("95.00") and po.due_date is not None
    assert live_engine.history.incidents(prod_pid) == []


def test_every_candidate_disqualified_gives_purchasing_a_task_not_an_incident(
    purchasing_api: TestClient,
    live_engine: LiveEngine,
    workers: stack.Child,
    sessions: sessionmaker[Session],
    restore_suppliers: None,
) -> None:
    api = purchasing_api
    with unit_of_work(sessions) as s:
        ids = {name: _supplier_id(s, name) for name in (JINDUN, ANJU, YIWU)}
    for name in (JINDUN, ANJU):
        r = api.post(f"/suppliers/{ids[name]}/class", json={"supplier_class": "D", "reason": "年度审核未通过"})
        assert r.status_code == 200 and r.json()["may_receive_orders"] is False, r.text

    order, pid = start_production(api, live_engine, "绍兴无供应商测试有限公司", lines=LOCKS)
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)

    def purchasing_task() -> Any:
        return next((t for t in history.open_user_tasks_in_tree(pid) if t.element_id == "HandleNoSupplier"), None)

    task = staff.work_until(pid, purchasing_task, timeout_s=180, stop_at={"HandleNoSupplier"})
    assert history.incidents(pid) == []
    assert _lock_core_orders(api, order["id"]) == []
    shown = history.task_variables(task.id)
    assert "LOCK-CORE-C" in shown["noSupplierReason"] and "没有可下单的供应商" in shown["noSupplierReason"]

    # Purchasing re-admits 安居 after a review and completes the task: the purchase is raised with it.
    r = api.post(f"/suppliers/{ids[ANJU]}/class", json={"supplier_class": "C", "reason": "整改复审通过，观察期"})
    assert r.status_code == 200 and r.json()["class_label"] == "观察期"
    staff.complete(task, {"supplierRemedyNote": "安居整改复审通过，恢复为观察期供应商"})
    pos = _wait(lambda: _lock_core_orders(api, order["id"]))
    assert [po["supplier_name"] for po in pos] == [ANJU]
    assert history.incidents(pid) == []
    cards = {c["name"]: c for c in api.get("/suppliers/scorecards").json()}
    assert [cards[n]["supplier_class"] for n in (JINDUN, ANJU, YIWU)] == ["D", "C", "D"]


@pytest.mark.engine_clock
def test_the_monthly_timer_starts_an_evaluation(
    live_engine: LiveEngine, workers: stack.Child, restore_suppliers: None
) -> None:
    client = live_engine.client
    definition = client.get("/process-definition/key/supplier-evaluation")
    [job] = client.get("/job", processDefinitionId=definition["id"], timers="true")
    due = job["dueDate"]
    assert due[8:10] == "01", due  # the first of a month
    assert job["suspended"] is True  # the test session runs evaluations only when a test asks (conftest)

    def by_timer() -> list[dict[str, Any]]:
        return [
            i
            for i in client.get("/history/process-instance", processDefinitionKey=PROCESS_ID)
            if i["businessKey"] is None
        ]

    before = {i["id"] for i in by_timer()}
    client.set_jobs_suspended(PROCESS_ID, False)
    try:
        client.pin_clock(int(parse_date(due).timestamp() * 1000) + 60_000)
        [started] = _wait(lambda: [i for i in by_timer() if i["id"] not in before])
        _wait(lambda: live_engine.history.instance_state(started["id"]) == "COMPLETED")
        assert live_engine.history.incidents(started["id"]) == []
        [next_job] = client.get("/job", processDefinitionId=definition["id"], timers="true")
        assert next_job["dueDate"][8:10] == "01" and next_job["dueDate"] > due, next_job["dueDate"]
    finally:
        client.set_jobs_suspended(PROCESS_ID, True)
        client.reset_clock()
