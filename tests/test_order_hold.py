"""Hold, resume and cancel an order with a reason, on the real engine (API routes and the Tasklist process).

The first test runs before the module's worker process starts (it locks a task by hand, as a
worker would, and starts the workers itself after the resume).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from doorflow import identity, stack
from doorflow.history import EngineHistory
from doorflow.operaton import EngineRejected, OperatonClient
from doorflow.simulated_systems import factory_responders, pay_installments
from doorflow.staff import SimulatedStaff
from doorflow.staff_answers import today
from models.audit import AuditEntry
from models.collection.tables import Installment, InstallmentKind, InstallmentStatus
from models.db import unit_of_work
from models.orders.tables import Order, OrderStatus
from models.outbox import EngineMessage
from models.production.tables import PlanStatus, ProductionPlan, ProductionStage, StageStatus
from tests.conftest import LiveEngine, actor_of, order_payload
from tests.redelivery import fetch_and_lock
from workers.external import ClientConfig, ExternalTaskClient
from workers.registry import TaskType
from workers.runtime import Outcome

pytestmark = pytest.mark.engine

DEMO_PASSWORD = identity.PASSWORD_DEFAULTS["DOORFLOW_DEMO_PASSWORD"]


def _create(api: TestClient) -> dict[str, Any]:
    response = api.post("/orders", json=order_payload())
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def _wait(what: Callable[[], Any], name: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := what()):
        assert time.monotonic() < deadline, f"timed out waiting for {name}"
        time.sleep(0.3)
    return result


def _order(sessions: sessionmaker[Session], order_id: int) -> Order:
    with sessions() as s:
        order = s.get(Order, order_id)
        assert order is not None
        return order


def _actions(sessions: sessionmaker[Session], entity: str, entity_ids: list[int]) -> list[tuple[str, str]]:
    with sessions() as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id.in_([str(i) for i in entity_ids]))
            .order_by(AuditEntry.id)
        )
        return [(row.action, row.actor) for row in rows]


def _suspended(live_engine: LiveEngine, pid: str) -> bool:
    return bool(live_engine.client.get(f"/process-instance/{pid}")["suspended"])


def _no_incident(history: EngineHistory, pid: str) -> None:
    incidents = history.open_incidents(history.instance_tree(pid))
    assert not incidents, [(i["activityId"], i["incidentMessage"]) for i in incidents]


def test_a_task_fetched_before_the_hold_waits_and_the_resumed_order_goes_on(
    api: TestClient, live_engine: LiveEngine, sessions: sessionmaker[Session], request: pytest.FixtureRequest
) -> None:
    """Hold: status and reason stored, instance suspended, nothing handed out; a worker holding a task
    of the held order is not failed by it; resume: the next step runs to completion."""
    order = _create(api)
    pid = order["process_instance_id"]
    # A worker fetched 登记订单 a moment before the sales manager's hold.
    task = fetch_and_lock(live_engine, TaskType.ORDER_REGISTER, order["order_number"], 2_000, 30, "held-worker")

    held = api.post(f"/orders/{order['id']}/hold", json={"reason": "客户资金未到位，暂缓执行"})
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "on_hold" and held.json()["hold_reason"] == "客户资金未到位，暂缓执行"
    stored = _order(sessions, order["id"])
    assert stored.status == OrderStatus.ON_HOLD and stored.status_before_hold == OrderStatus.RECEIVED
    assert stored.hold_reason == "客户资金未到位，暂缓执行"
    assert _suspended(live_engine, pid) and live_engine.history.instance_state(pid) == "SUSPENDED"
    assert _actions(sessions, "order", [order["id"]])[-1] == ("order.held", actor_of())  # the caller, not "api"

    # The worker reports its outcome: the engine refuses (suspended), the client drops it without failing.
    cfg = ClientConfig(
        live_engine.cfg.url, "doorflow", identity.PASSWORD_DEFAULTS["DOORFLOW_ENGINE_SYSTEM_PASSWORD"], []
    )
    cfg.worker_id = "held-worker"
    client = ExternalTaskClient(cfg, lambda _: Outcome("complete", {}))

    async def report() -> None:
        # The client's own reporting step, for a task it holds (serve() would fetch instead).
        try:
            await asyncio.wait_for(client._report(task, Outcome("complete", {})), timeout=10)  # noqa: SLF001
        finally:
            await client._http.aclose()  # noqa: SLF001

    asyncio.run(report())

    # Nothing progresses: after its lock ended the task is handed out to nobody, the order stays held.
    time.sleep(2.5)
    body = {
        "workerId": "another-worker",
        "maxTasks": 5,
        "topics": [{"topicName": TaskType.ORDER_REGISTER.value, "lockDuration": 5_000}],
    }
    assert [
        row
        for row in live_engine.client.call("POST", "/external-task/fetchAndLock", json=body)
        if row["processInstanceId"] == pid
    ] == []
    assert live_engine.history.visited(pid, "RegisterOrder") == 0
    again = api.post(f"/orders/{order['id']}/hold", json={"reason": "再次暂停"})
    assert again.status_code == 409 and "已暂停" in again.json()["detail"]

    resumed = api.post(f"/orders/{order['id']}/resume", json={"reason": "客户确认资金到位"})
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "received" and resumed.json()["hold_reason"] is None
    assert not _suspended(live_engine, pid)
    request.getfixturevalue("workers")  # now the workers run: the held task is handed out and done
    history = live_engine.history
    _wait(lambda: len(history.open_user_tasks(pid)) == 3, "the three review tasks after the resume")
    assert history.visited(pid, "RegisterOrder") == 1
    assert _order(sessions, order["id"]).status == OrderStatus.REGISTERED
    assert [a for a, _ in _actions(sessions, "order", [order["id"]])] == [
        "order.created",
        "order.held",
        "order.resumed",
        "order.registered",
    ]
    _no_incident(history, pid)


def _to_production(api: TestClient, live_engine: LiveEngine, order: dict[str, Any]) -> tuple[SimulatedStaff, str]:
    """Drive the order with simulated staff (deposit paid) until a production stage waits for its report."""
    history = live_engine.history
    pid = str(order["process_instance_id"])
    staff = SimulatedStaff(live_engine.client, history, responders=factory_responders(api, order["id"], pay=()))
    paid: list[dict[str, Any]] = []

    def stage_open() -> str | None:
        _no_incident(history, pid)
        if not paid:
            paid.extend(pay_installments(api, order["id"], {"deposit"}))
        for child in history.child_instances(pid, "door-production"):
            if any(t.element_id == "ReportStageProgress" for t in history.open_user_tasks(child)):
                return child
        return None

    production = staff.work_until(pid, stage_open, timeout_s=240, stop_at={"ReportStageProgress"})
    assert paid, "the deposit was paid"
    return staff, str(production)


def test_cancel_of_a_held_order_in_production_ends_through_the_cancel_end_event(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    history, client = live_engine.history, live_engine.client
    order = _create(api)
    pid = str(order["process_instance_id"])
    _, production = _to_production(api, live_engine, order)

    # Hold during production: the whole tree stops (door-order, payment collection, production), timers too.
    held = api.post(f"/orders/{order['id']}/hold", json={"reason": "客户项目停工"})
    assert held.status_code == 200, held.text
    tree = client.running_tree(pid)
    assert production in tree and len(history.child_instances(pid, "payment-collection")) == 1
    assert client.suspended_ids(tree) == set(tree)
    for instance in tree:
        assert client.get("/job", processInstanceId=instance, active="true") == []
        assert client.get("/external-task", processInstanceId=instance, active="true") == []
    assert any(client.get("/job", processInstanceId=i, suspended="true", timers="true") for i in tree)
    [stage_task] = [t for t in history.open_user_tasks(production) if t.element_id == "ReportStageProgress"]
    with pytest.raises(EngineRejected, match="suspended"):
        client.complete_task(stage_task.id, {"progressPercent": 100, "stageCompleted": True})

    # Cancel the held order: re-activated, then 订单取消 interrupts everything and ends the order.
    cancelled = api.post(f"/orders/{order['id']}/cancel", json={"reason": "客户项目取消，终止合同"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_reason"] == "客户项目取消，终止合同"
    _wait(lambda: history.instance_state(pid) == "COMPLETED", "door-order ended", 60)
    assert history.visited(pid, "OrderCancelled") == 1 and history.visited(pid, "CancelOrder") == 1
    assert history.visited(pid, "OrderCompleted") == 0
    assert client.running_tree(pid) == []
    for child in history.instance_tree(pid) - {pid}:
        assert history.instance_state(child) in {"INTERNALLY_TERMINATED", "EXTERNALLY_TERMINATED"}, child
    assert history.incidents(pid) == []

    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.status == OrderStatus.CANCELLED
        assert stored.cancel_reason == "客户项目取消，终止合同"
        plans = list(s.scalars(select(ProductionPlan).where(ProductionPlan.order_id == order["id"])))
        assert plans and all(p.status in (PlanStatus.CANCELLED, PlanStatus.REJECTED) for p in plans)
        stages = list(s.scalars(select(ProductionStage).where(ProductionStage.plan_id.in_([p.id for p in plans]))))
        assert stages and {st.status for st in stages} <= {StageStatus.CANCELLED, StageStatus.COMPLETED}
        assert StageStatus.CANCELLED in {st.status for st in stages}
        installments = list(s.scalars(select(Installment).where(Installment.order_id == order["id"])))
        deposit = [i for i in installments if i.kind == InstallmentKind.DEPOSIT]
        assert [i.status for i in deposit] == [InstallmentStatus.PAID]
        others = [i for i in installments if i.kind != InstallmentKind.DEPOSIT]
        assert others and all(i.status == InstallmentStatus.CANCELLED and i.balance == 0 for i in others)
        assert stored.refund_due == deposit[0].paid_amount and stored.refund_due > Decimal("0")
        plan_ids, inst_ids = [p.id for p in plans], [i.id for i in others]
        # Nothing more is offered to the ended tree but the cancellation itself (delivered).
        pending = s.scalars(
            select(EngineMessage).where(
                EngineMessage.business_key == order["order_number"],
                EngineMessage.delivered_at.is_(None),
                EngineMessage.expired_at.is_(None),
            )
        )
        assert list(pending) == []
    order_actions = [a for a, _ in _actions(sessions, "order", [order["id"]])]
    assert {"order.held", "order.cancelled", "order.cancellation_completed"} <= set(order_actions)
    assert order_actions.index("order.held") < order_actions.index("order.cancelled")
    assert ("production_plan.cancelled", "worker:doorflow.order.cancel") in _actions(
        sessions, "production_plan", plan_ids
    )
    assert [a for a, _ in _actions(sessions, "installment", inst_ids)].count("installment.cancelled") == len(inst_ids)

    # Documents are kept and readable.
    documents = api.get(f"/orders/{order['id']}/documents").json()
    assert {"contract", "handover_sheet"} <= {d["kind"] for d in documents}, documents
    for document in documents:
        assert api.get(f"/documents/{document['id']}/content").status_code == 200
    # The customer's collection is closed: a payment on a cancelled installment is refused.
    payment = {"amount": "1.00", "external_reference": f"LATE-{order['order_number']}", "paid_on": today().isoformat()}
    refused = api.post(f"/installments/{inst_ids[0]}/payments", json=payment)
    assert refused.status_code == 409 and "取消" in refused.json()["detail"]


def test_hold_or_cancel_of_a_completed_or_cancelled_order_is_refused(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    history = live_engine.history
    cancelled = _create(api)
    response = api.post(f"/orders/{cancelled['id']}/cancel", json={"reason": "客户撤单"})
    assert response.status_code == 200, response.text
    pid = cancelled["process_instance_id"]
    _wait(lambda: history.visited(pid, "OrderCancelled") == 1, "the cancellation's end event")
    assert history.instance_state(pid) == "COMPLETED"
    for action in ("hold", "resume", "cancel"):
        answer = api.post(f"/orders/{cancelled['id']}/{action}", json={"reason": "再试一次"})
        assert answer.status_code == 409, (action, answer.text)
        assert "已取消" in answer.json()["detail"]

    # An order whose process completed (its stored status says so): nothing to hold or cancel.
    completed = _create(api)
    _wait(lambda: len(history.open_user_tasks(completed["process_instance_id"])) == 3, "the review tasks")
    with unit_of_work(sessions) as s:
        s.execute(update(Order).where(Order.id == completed["id"]).values(status=OrderStatus.COMPLETED))
    for action, word in (("hold", "不能暂停"), ("cancel", "不能取消")):
        answer = api.post(f"/orders/{completed['id']}/{action}", json={"reason": "客户要求"})
        assert answer.status_code == 409 and "已完成" in answer.json()["detail"] and word in answer.json()["detail"]
    assert not _suspended(live_engine, completed["process_instance_id"])
    assert [a for a, _ in _actions(sessions, "order", [completed["id"]])] == ["order.created", "order.registered"]
    with sessions() as s:
        queued = s.scalars(
            select(EngineMessage).where(
                EngineMessage.business_key == completed["order_number"], EngineMessage.name == "OrderCancelled"
            )
        )
        assert list(queued) == []
    # No reason, no decision: a 422 naming the field; an unknown order is a 404.
    blank = api.post(f"/orders/{completed['id']}/hold", json={"reason": "   "})
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "reason"]
    assert api.post("/orders/987654321/cancel", json={"reason": "客户撤单"}).status_code == 404


def test_a_sales_manager_holds_and_resumes_from_tasklist_and_a_refusal_comes_back_with_its_reason(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    history = live_engine.history
    order = _create(api)
    pid = order["process_instance_id"]
    _wait(lambda: len(history.open_user_tasks(pid)) == 3, "the review tasks")
    start_form = live_engine.client.get("/process-definition/key/order-hold/startForm")
    assert start_form["operatonFormRef"]["key"] == "order-hold-request"

    salesperson = OperatonClient(live_engine.cfg.url, "wanglei", DEMO_PASSWORD)
    manager = OperatonClient(live_engine.cfg.url, "liuyang", DEMO_PASSWORD)
    try:
        asked = {"orderNumber": order["order_number"], "holdAction": "hold", "holdReason": "客户要求暂停两周"}
        with pytest.raises(EngineRejected) as refused_start:
            salesperson.start_process("order-hold", None, asked)
        assert refused_start.value.status == 403
        startable = manager.get("/process-definition", startableBy="liuyang", key="order-hold")
        assert [d["key"] for d in startable] == ["order-hold"]

        first = manager.start_process("order-hold", None, asked)
        _wait(lambda: history.instance_state(first) == "COMPLETED", "the hold request")
        assert history.visited(first, "OrderActionDone") == 1
        stored = _order(sessions, order["id"])
        assert stored.status == OrderStatus.ON_HOLD and stored.hold_reason == "客户要求暂停两周"
        assert stored.held_by == "liuyang" and _suspended(live_engine, pid)
        assert _actions(sessions, "order", [order["id"]])[-1] == ("order.held", "liuyang")

        # Holding it again is refused: the reason comes back to the sales manager as a task.
        second = manager.start_process("order-hold", None, {**asked, "holdReason": "再次暂停"})
        [task] = _wait(lambda: manager.get("/task", processInstanceId=second), "the refusal task")
        assert task["taskDefinitionKey"] == "ReadRefusal" and task["assignee"] == "liuyang"
        reason = history.task_variables(task["id"])["refusalReason"]
        assert "已暂停" in reason and "不能重复暂停" in reason
        assert _actions(sessions, "order", [order["id"]])[-1] == ("order.held", "liuyang")  # nothing changed

        # Resubmitted as a resume: the order goes on where it stood.
        manager.complete_task(
            task["id"], {"refusalNext": "resubmit", "holdAction": "resume", "holdReason": "客户确认继续"}
        )
        _wait(lambda: history.instance_state(second) == "COMPLETED", "the resubmitted request")
        assert history.visited(second, "OrderActionDone") == 1
        assert _order(sessions, order["id"]).status == OrderStatus.REGISTERED
        assert not _suspended(live_engine, pid)
        assert _actions(sessions, "order", [order["id"]])[-1] == ("order.resumed", "liuyang")
    finally:
        salesperson.close()
        manager.close()


class _RecordedTree:
    """Stands in for the engine in a database-only test: records which trees it was asked to suspend."""

    def __init__(self) -> None:
        self.suspended: list[str] = []

    def suspend_process_instance(self, process_instance_id: str) -> list[str]:
        self.suspended.append(process_instance_id)
        return [process_instance_id]

    def activate_process_instance(self, process_instance_id: str) -> list[str]:
        return [process_instance_id]


def test_a_step_that_read_the_order_before_the_hold_does_not_end_the_hold(sessions: sessionmaker[Session]) -> None:
    """A worker that loaded the order, then a hold commits, then the worker moves the status: still on hold."""
    from datetime import date

    from models.orders import hold, service
    from models.orders.tables import DoorLine, DoorType, Handing

    with unit_of_work(sessions) as s:
        order = Order(
            order_number=f"DO20991231-H{time.monotonic_ns() % 100_000:05d}",
            customer_name="杭州绿城物业有限公司",
            delivery_address="浙江省杭州市西湖区文三路 100 号",
            requested_delivery_date=date(2099, 6, 30),
            status=OrderStatus.REGISTERED,
            process_instance_id=f"race-{time.monotonic_ns()}",
            lines=[
                DoorLine(
                    line_no=1,
                    door_type=DoorType.WOODEN,
                    width_mm=850,
                    height_mm=2100,
                    handing=Handing.LEFT_INSWING,
                    quantity=1,
                    unit_price=Decimal("1280.50"),
                )
            ],
        )
        s.add(order)
        s.flush()
        order_id = order.id
    tree = _RecordedTree()
    worker = sessions()
    try:
        worker.begin()
        seen = service.get_order(worker, order_id)  # the worker's step read the order before the hold
        assert seen.status == OrderStatus.REGISTERED
        with unit_of_work(sessions) as s:
            hold.hold_order(s, order_id, "客户要求暂停", tree, actor="liuyang", loc=("reason",))
        service.change_status(worker, seen, OrderStatus.UNDER_REVIEW, actor="worker:test", action="order.under_review")
        worker.commit()
    finally:
        worker.close()
    stored = _order(sessions, order_id)
    assert stored.status == OrderStatus.ON_HOLD and stored.status_before_hold == OrderStatus.UNDER_REVIEW
    assert tree.suspended == [stored.process_instance_id]
