"""The production call activity (door-production) on the real engine: plan, materials, stages, inspection, packing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from doorflow.operaton import parse_date
from doorflow.settings import get_settings
from doorflow.staff import SimulatedStaff
from models.db import unit_of_work
from models.documents.tables import Document
from models.production.service import shift_plan_for_change
from models.production.tables import (
    Inspection,
    InspectionKind,
    MaterialAllocation,
    PlanStatus,
    ProductionDelay,
    ProductionPlan,
    ProgressReport,
    PurchaseOrder,
    PurchaseStatus,
    StageStatus,
)
from tests.conftest import LiveEngine, order_payload, reset_engine_clock, restore_seeded_suppliers
from tests.days import factory_day

pytestmark = pytest.mark.engine

STEEL_AND_WOOD = [
    {
        "door_type": "steel_security",
        "width_mm": 960,
        "height_mm": 2050,
        "wall_thickness_mm": 240,
        "material": "冷轧钢板",
        "finish": "古铜色",
        "handing": "left_inswing",
        "lock_hardware": "C级锁芯",
        "quantity": 4,
        "unit_price": "2380.00",
    },
    {
        "door_type": "wooden",
        "width_mm": 850,
        "height_mm": 2100,
        "handing": "right_inswing",
        "quantity": 2,
        "unit_price": "1280.50",
    },
]


def start_production(
    api: TestClient, live_engine: LiveEngine, customer: str, **overrides: Any
) -> tuple[dict[str, Any], str]:
    """An order through the API (its door-order instance starts too), then door-production started directly,
    the way door-order's call activity starts it: business key = the order number, orderId and orderNumber."""
    overrides.setdefault("lines", STEEL_AND_WOOD)
    response = api.post("/orders", json=order_payload(customer_name=customer, **overrides))
    assert response.status_code == 201, response.text
    order = response.json()
    pid = live_engine.client.start_process(
        "door-production", order["order_number"], {"orderId": order["id"], "orderNumber": order["order_number"]}
    )
    return order, pid


class Warehouse:
    """Receives every purchase order of the order that waits for goods, through the API, as it appears."""

    def __init__(self, api: TestClient, order_id: int) -> None:
        self.api = api
        self.order_id = order_id
        self.received: list[str] = []

    def deliver(self) -> None:
        for po in self.api.get(f"/orders/{self.order_id}/purchase-orders").json():
            if po["status"] == "ordered" and po["number"] not in self.received:
                body = {"quantity": po["quantity"], "delivery_note": f"SH-{po['number']}", "received_by": "仓库 周敏"}
                response = self.api.post(f"/purchase-orders/{po['number']}/receipt", json=body)
                assert response.status_code == 201, response.text
                self.received.append(po["number"])


def run_to_end(
    live_engine: LiveEngine,
    pid: str,
    warehouse: Warehouse,
    overrides: dict[str, Any] | None = None,
    staff: SimulatedStaff | None = None,
) -> SimulatedStaff:
    history = live_engine.history
    staff = staff or SimulatedStaff(live_engine.client, history)

    def done() -> bool:
        warehouse.deliver()
        return history.instance_state(pid) == "COMPLETED"

    staff.work_until(pid, done, overrides=overrides, timeout_s=180)
    assert history.incidents(pid) == []
    return staff


def timer_due_dates(live_engine: LiveEngine, pid: str) -> list[datetime]:
    """Due dates of the instance's timer jobs (the production due check)."""
    jobs = live_engine.client.get("/job", processInstanceId=pid, timers="true")
    return sorted(parse_date(job["dueDate"]) for job in jobs)


def plans_of(s: Session, order_id: int) -> list[ProductionPlan]:
    return list(
        s.scalars(select(ProductionPlan).where(ProductionPlan.order_id == order_id).order_by(ProductionPlan.version))
    )


def test_production_happy_path(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    restore_seeded_suppliers(sessions)
    # 250 fire doors need more fire-door cores than the 200 in stock: two shortages, bought in parallel.
    fire = {"door_type": "fire", "width_mm": 1200, "height_mm": 2100, "handing": "right_outswing", "quantity": 250,
            "unit_price": "1860.00"}  # fmt: skip
    order, pid = start_production(api, live_engine, "杭州滨江生产顺利有限公司", lines=[*STEEL_AND_WOOD, fire])
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)

    def both_waiting() -> list[dict[str, Any]]:
        subs = [sub for sub in history.open_message_subscriptions([pid]) if sub["eventName"] == "GoodsReceived"]
        return subs if len(subs) == 2 else []

    # The engine carries only a count; each parallel instance loaded its own stored shortage by loopCounter
    # and waits for its own purchase order: the local correlation key purchaseOrderNumber of its wait.
    waiting = staff.work_until(pid, both_waiting, timeout_s=120)
    assert history.variable(pid, "shortageCount") == 2
    assert history.variable(pid, "shortages") is None and history.variable(pid, "stages") is None
    ordered = {po["number"]: po["material_code"] for po in api.get(f"/orders/{order['id']}/purchase-orders").json()}
    assert sorted(ordered.values()) == ["FIRE-CORE", "LOCK-CORE-C"]
    assert sorted(sub["variables"]["purchaseOrderNumber"] for sub in waiting) == sorted(ordered)
    indexes = live_engine.client.get("/history/variable-instance", processInstanceId=pid, variableName="shortageIndex")
    assert sorted(row["value"] for row in indexes) == [0, 1]  # one instance per loopCounter
    process_scope = live_engine.client.get(f"/process-instance/{pid}/variables")
    assert "purchaseOrderNumber" not in process_scope  # local to each instance, not the process's
    assert {"shortageCount", "stageCount", "planId"} <= set(process_scope)
    warehouse = Warehouse(api, order["id"])
    run_to_end(live_engine, pid, warehouse, staff=staff)

    assert [t.element_id for t in staff.done].count("ReportStageProgress") == 5
    assert {t.candidate_groups[0] for t in staff.done if t.element_id == "ReviewPlan"} == {"technical"}
    assert history.visited(pid, "RaisePurchaseOrder") == 2  # lock cores and fire-door cores are short
    assert history.visited(pid, "StockIn") == 2
    assert [t.candidate_groups for t in staff.done if t.element_id == "IncomingInspection"] == [["quality"]] * 2
    assert history.visited(pid, "ReportDelay", "started") == 0
    assert history.visited(pid, "LoadStage") == 5  # one stage loaded per sequential instance
    with sessions() as s:
        (plan,) = plans_of(s, order["id"])
        assert plan.status == PlanStatus.PACKED and plan.version == 1
        assert plan.craft_document.version == "V3.1" and plan.craft_document.is_current
        assert plan.due_date == date(2099, 6, 23)  # requested 2099-06-30 minus the 7-day buffer
        assert [st.name for st in plan.stages] == ["下料", "成型", "表面处理", "装配", "包装"]
        assert plan.stages[-1].milestone == plan.due_date
        assert all(st.status == StageStatus.COMPLETED and st.progress_percent == 100 for st in plan.stages)
        reports = s.scalars(select(ProgressReport).where(ProgressReport.stage_id.in_([st.id for st in plan.stages])))
        assert len(list(reports)) == 5
        pos = s.scalars(select(PurchaseOrder).where(PurchaseOrder.order_id == order["id"])).all()
        bought = {p.material.code: (p.supplier.name, p.status) for p in pos}
        # Each shortage's instance waited for its own purchase order: both were received and accepted.
        assert bought == {
            "LOCK-CORE-C": ("浙江永康金盾锁业有限公司", PurchaseStatus.ACCEPTED),  # best qualified; class D is cheaper
            "FIRE-CORE": ("宝钢（杭州）钢材加工配送有限公司", PurchaseStatus.ACCEPTED),
        }
        po = next(p for p in pos if p.material.code == "LOCK-CORE-C")
        lock_allocations = s.scalars(
            select(MaterialAllocation).where(
                MaterialAllocation.order_id == order["id"], MaterialAllocation.material_id == po.material_id
            )
        ).all()
        # What stock had plus what was bought covers exactly the 4 steel doors' lock cores.
        assert sum(a.quantity for a in lock_allocations) == 4
        assert po.number in {a.source for a in lock_allocations}
        kinds = sorted(
            (i.kind.value, i.passed) for i in s.scalars(select(Inspection).where(Inspection.order_id == order["id"]))
        )
        assert kinds == [("final", True), ("incoming", True), ("incoming", True)]
        (doc,) = s.scalars(select(Document).where(Document.order_id == order["id"], Document.kind == "work_order"))
        assert "生产任务单" in doc.content and "GY-MD-01 V3.1" in doc.content and "C级防盗锁芯" in doc.content
    overview = api.get(f"/orders/{order['id']}/production").json()
    assert (overview["version"], overview["status"], overview["craft_document"]) == (1, "packed", "GY-MD-01 V3.1")
    assert {(st["status"], st["progress_percent"]) for st in overview["stages"]} == {("completed", 100)}
    assert len(overview["inspections"]) == 3 and overview["delays"] == []
    # A second receipt for the accepted purchase order makes no sense: refused, nothing changes.
    again = api.post(f"/purchase-orders/{po.number}/receipt", json={"quantity": "1", "received_by": "仓库 周敏"})
    assert again.status_code == 409
    with sessions() as s:
        assert (
            s.scalars(select(PurchaseOrder).where(PurchaseOrder.number == po.number)).one().status
            == PurchaseStatus.ACCEPTED
        )


def test_without_shortages_nothing_is_bought(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """Two wooden doors: stock has everything, so the purchase multi-instance runs no instance at all."""
    order, pid = start_production(api, live_engine, "衢州库存充足测试有限公司", lines=[STEEL_AND_WOOD[1]])
    run_to_end(live_engine, pid, Warehouse(api, order["id"]))

    history = live_engine.history
    assert history.variable(pid, "shortageCount") == 0
    assert history.visited(pid, "RaisePurchaseOrder", "started") == 0
    assert history.visited(pid, "GoodsReceived", "started") == 0
    assert history.visited(pid, "ProduceStage") == 5 and history.visited(pid, "PackGoods") == 1
    with sessions() as s:
        assert s.scalars(select(PurchaseOrder).where(PurchaseOrder.order_id == order["id"])).all() == []
        (plan,) = plans_of(s, order["id"])
        assert plan.status == PlanStatus.PACKED
        assert {
            a.source for a in s.scalars(select(MaterialAllocation).where(MaterialAllocation.order_id == order["id"]))
        } == {"stock"}


def test_incoming_inspection_failure_returns_goods_and_reorders(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order, pid = start_production(api, live_engine, "宁波来料不合格测试有限公司")
    failed = {"incomingResult": "failed", "incomingFailCause": "锁芯无 C 级认证标识，抽检 3 件钥匙互开"}
    passed = {"incomingResult": "passed", "incomingFailCause": None}
    run_to_end(live_engine, pid, Warehouse(api, order["id"]), {"IncomingInspection": [failed, passed]})

    history = live_engine.history
    assert history.visited(pid, "ReturnAndReorder") == 1
    assert history.visited(pid, "GoodsReceived") == 2
    with sessions() as s:
        first, second = s.scalars(
            select(PurchaseOrder).where(PurchaseOrder.order_id == order["id"]).order_by(PurchaseOrder.id)
        ).all()
        assert first.status == PurchaseStatus.RETURNED and second.status == PurchaseStatus.ACCEPTED
        assert second.replaces_id == first.id and second.quantity == first.quantity
        assert second.supplier_id != first.supplier_id  # the supplier whose goods failed is avoided
        incoming = s.scalars(
            select(Inspection)
            .where(Inspection.order_id == order["id"], Inspection.kind == InspectionKind.INCOMING)
            .order_by(Inspection.id)
        ).all()
        assert [(i.purchase_order_id, i.passed, i.cause) for i in incoming] == [
            (first.id, False, failed["incomingFailCause"]),
            (second.id, True, None),
        ]


def test_plan_rejection_and_final_inspection_failure_lead_to_replan_and_rework(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order, pid = start_production(api, live_engine, "温州返工测试有限公司")
    overrides = {
        "ReviewPlan": [
            {"planDecision": "rejected", "planReviewComments": "表面处理工期不足，请按新版工艺预留固化时间"},
            {"planDecision": "approved", "planReviewComments": "同意"},
        ],
        "FinalInspection": [
            {"finalResult": "failed", "finalFailCause": "门扇漆面有流挂，门缝超差 2mm"},
            {"finalResult": "passed", "finalFailCause": None},
        ],
    }
    run_to_end(live_engine, pid, Warehouse(api, order["id"]), overrides)

    history = live_engine.history
    assert history.visited(pid, "CreatePlan") == 2
    assert history.visited(pid, "Rework") == 1
    assert history.visited(pid, "FinalInspection") == 2
    with sessions() as s:
        v1, v2 = plans_of(s, order["id"])
        assert (v1.version, v1.status, v1.review_comments) == (
            1,
            PlanStatus.REJECTED,
            "表面处理工期不足，请按新版工艺预留固化时间",
        )
        assert (v2.version, v2.status) == (2, PlanStatus.PACKED)
        final = s.scalars(
            select(Inspection)
            .where(Inspection.order_id == order["id"], Inspection.kind == InspectionKind.FINAL)
            .order_by(Inspection.round)
        ).all()
        assert [(i.round, i.passed, i.cause) for i in final] == [
            (1, False, "门扇漆面有流挂，门缝超差 2mm"),
            (2, True, None),
        ]
        assert final[1].rework_note and "返修" in final[1].rework_note


@pytest.mark.engine_clock
def test_production_delay_timer_raises_a_delay_while_production_goes_on(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    # Due soon (delivery in buffer + 1 days), so the engine clock only moves a day or two forward.
    requested = factory_day() + timedelta(days=get_settings().production_due_buffer_days + 1)
    order, pid = start_production(
        api, live_engine, "绍兴延期测试有限公司", requested_delivery_date=requested.isoformat()
    )
    history = live_engine.history
    warehouse = Warehouse(api, order["id"])
    staff = SimulatedStaff(live_engine.client, history)

    def stage_open() -> bool:
        warehouse.deliver()
        return any(t.element_id == "ReportStageProgress" for t in history.open_user_tasks(pid))

    staff.work_until(pid, stage_open, stop_at={"ReportStageProgress"}, timeout_s=90)
    assert history.visited(pid, "ReportDelay", "started") == 0
    due = factory_day() + timedelta(days=1)
    # The cycle R/${productionDueAt}/${dueCheckInterval} first fires at the due time, 18:00 Beijing time (UTC+8).
    assert timer_due_dates(live_engine, pid) == [datetime.combine(due, time(10, 0), tzinfo=UTC)]
    # Move the engine clock a minute past it.
    past_due = datetime.combine(due, time(10, 1), tzinfo=UTC)
    try:
        live_engine.client.pin_clock(int(past_due.timestamp() * 1000))
        history.wait_for(
            lambda: any(t.element_id == "ReportDelay" for t in history.open_user_tasks(pid)), 60, "the delay user task"
        )
        # The cycle goes on: the next check one interval (a day) after the first.
        assert timer_due_dates(live_engine, pid) == [datetime.combine(due + timedelta(days=1), time(10, 0), tzinfo=UTC)]
    finally:
        reset_engine_clock(live_engine)
    # The production was not interrupted: the stage task is still open next to the delay task.
    assert {t.element_id for t in history.open_user_tasks(pid)} == {"ReportStageProgress", "ReportDelay"}
    delay_answer = {
        "delayCause": "force_majeure",
        "delayCauseDetail": "台风“梅花”导致园区停电三天",
        "delayRemedy": "恢复供电后两班倒生产",
        "newDueDate": (due + timedelta(days=10)).isoformat(),
        "delayResponsibility": "不可抗力，双方均无责任",
    }
    run_to_end(live_engine, pid, warehouse, {"ReportDelay": delay_answer}, staff)

    assert history.visited(pid, "RecordDelay") == 1
    assert history.visited(pid, "DelayHandled") == 1
    assert history.visited(pid, "PackGoods") == 1
    assert history.visited(pid, "ProductionWork") == 1  # completed once, never cancelled
    assert history.visited(pid, "ProductionWork", "canceled") == 0
    with sessions() as s:
        (delay,) = s.scalars(select(ProductionDelay).where(ProductionDelay.order_id == order["id"])).all()
        assert delay.cause.value == "force_majeure" and delay.customer_informed
        assert (delay.old_due_date, delay.new_due_date) == (due, due + timedelta(days=10))
        notice = s.get(Document, delay.notice_document_id)
        assert notice is not None and "生产延期告知函" in notice.content and "台风" in notice.content
    (reported,) = api.get(f"/orders/{order['id']}/production").json()["delays"]
    assert reported["cause"] == "force_majeure" and reported["customer_informed"] is True


@pytest.mark.engine_clock
def test_a_shifted_plan_is_not_reported_late_at_its_old_due_time(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """The due check runs from the due time on and compares with the plan's current due date."""
    requested = factory_day() + timedelta(days=get_settings().production_due_buffer_days + 1)
    order, pid = start_production(
        api, live_engine, "嘉兴计划顺延测试有限公司", requested_delivery_date=requested.isoformat()
    )
    history = live_engine.history
    warehouse = Warehouse(api, order["id"])
    staff = SimulatedStaff(live_engine.client, history)

    def stage_open() -> bool:
        warehouse.deliver()
        return any(t.element_id == "ReportStageProgress" for t in history.open_user_tasks(pid))

    staff.work_until(pid, stage_open, stop_at={"ReportStageProgress"}, timeout_s=90)
    due = factory_day() + timedelta(days=1)
    # An approved change costs two days: the running plan's due date moves (see models/changes).
    with unit_of_work(sessions) as s:
        assert shift_plan_for_change(s, order["id"], 2, "变更 测试", actor="test") is not None
    try:
        # At the old due time the check finds production on plan: no delay is raised.
        live_engine.client.pin_clock(int(datetime.combine(due, time(10, 1), tzinfo=UTC).timestamp() * 1000))
        history.wait_for(lambda: history.visited(pid, "NotLate") >= 1, 60, "the on-plan check")
        assert history.visited(pid, "ReportDelay", "started") == 0
        # Past the shifted due time the daily check finds it late.
        later = datetime.combine(due + timedelta(days=2), time(10, 1), tzinfo=UTC)
        live_engine.client.pin_clock(int(later.timestamp() * 1000))
        history.wait_for(
            lambda: any(t.element_id == "ReportDelay" for t in history.open_user_tasks(pid)), 60, "the delay task"
        )
    finally:
        reset_engine_clock(live_engine)
    assert history.visited(pid, "ReportDelay", "started") == 1  # raised once, not at every check
    assert history.incidents(pid) == []


def test_goods_receipt_api_refuses_bad_receipts(api: TestClient, live_engine: LiveEngine) -> None:
    assert (
        api.post("/purchase-orders/PO-NOPE/receipt", json={"quantity": "1", "received_by": "仓库"}).status_code == 404
    )
    response = api.post("/purchase-orders/PO-NOPE/receipt", json={"quantity": "-3", "received_by": "仓库"})
    assert response.status_code == 422
    assert ["body", "quantity"] in [d["loc"] for d in response.json()["detail"]]
    assert api.get("/orders/999999999/purchase-orders").status_code == 404
