"""Change requests on the real engine: the order's instance keeps running while its changes are handled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow import stack
from doorflow.history import EngineHistory, UserTask
from doorflow.simulated_systems import factory_responders
from doorflow.staff import SimulatedStaff
from doorflow.staff_answers.changes import ANSWERS as CHANGE_ANSWERS
from models.audit import AuditEntry
from models.changes.tables import ChangeRequest, ChangeStatus, OrderRevision
from models.orders.tables import Order, OrderStatus
from models.outbox import EngineMessage
from models.production.tables import ProductionPlan
from tests.conftest import LiveEngine, authed, make_settings, order_payload, verified
from tests.days import factory_day

pytestmark = pytest.mark.engine

MAJOR_BY_SCHEDULE = {
    "changeScheduleDays": 10,
    "changeQualityImpact": "minor",
    "changeCostDelta": 1500.0,
    "changeAssessmentNote": "门洞加宽需重新出图、重新下料",
}


CHANGE_ANSWERS_SCHEDULE_DAYS = int(CHANGE_ANSWERS["AssessChangeImpact"]["changeScheduleDays"])  # type: ignore[index]

# The order's instance is held at its three parallel review tasks while change requests run.
REVIEWS = {"ReviewProductionCapacity", "ReviewMaterialSupply", "ReviewInstallationCapacity"}
WAITING_AT = "ReviewProductionCapacity"


def start_order(api: TestClient, live_engine: LiveEngine) -> dict[str, Any]:
    """An order whose instance waits at its review user tasks (held open by the tests)."""
    response = api.post("/orders", json=order_payload())
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    history = live_engine.history
    history.wait_for(
        lambda: [t for t in history.open_user_tasks(order["process_instance_id"]) if t.element_id == WAITING_AT],
        60,
        "the production-capacity review task",
    )
    return order


def ask(api: TestClient, order_id: int, **body: Any) -> dict[str, Any]:
    payload = {
        "description": "1 号门洞加宽到 1000 mm，饰面改为胡桃木色",
        "requested_by": "客户项目经理 李娜",
        "channel": "phone",
    }
    payload.update(body)
    response = api.post(f"/orders/{order_id}/change-requests", json=payload)
    assert response.status_code == 201, response.text
    change: dict[str, Any] = response.json()
    return change


def change_status(sessions: sessionmaker[Session], change_id: int) -> Callable[[], ChangeStatus | None]:
    """A poll for ``work_until``: the request's status once it is final (applied or rejected)."""

    def final() -> ChangeStatus | None:
        with sessions() as s:
            change = s.get(ChangeRequest, change_id)
            assert change is not None
            return change.status if change.status in (ChangeStatus.APPLIED, ChangeStatus.REJECTED) else None

    return final


def change_of_task(history: EngineHistory, task: UserTask) -> int:
    """Which change request a user task of the event subprocess belongs to (its scope's local variable)."""
    return int(history.task_variables(task.id)["changeRequestId"])


def order_state(sessions: sessionmaker[Session], order_id: int) -> dict[str, Any]:
    from models.changes.service import order_snapshot

    with sessions() as s:
        order = s.get(Order, order_id)
        assert order is not None
        return order_snapshot(order)


def revisions(sessions: sessionmaker[Session], order_id: int) -> list[tuple[int, int | None]]:
    with sessions() as s:
        rows = s.execute(
            select(OrderRevision.revision, OrderRevision.change_request_id)
            .where(OrderRevision.order_id == order_id)
            .order_by(OrderRevision.revision)
        )
        return [(r.revision, r.change_request_id) for r in rows]


def waiting_task(history: EngineHistory, pid: str) -> UserTask:
    [task] = [t for t in history.open_user_tasks(pid) if t.element_id == WAITING_AT]
    return task


def order_scope_variables(live_engine: LiveEngine, pid: str) -> set[str]:
    """Names of the variables on the order's own scope (the process instance), now and in history."""
    now = set(live_engine.client.get(f"/process-instance/{pid}/variables", deserializeValues="false"))
    ever = {
        row["name"]
        for row in live_engine.client.get(
            "/history/variable-instance", processInstanceId=pid, deserializeValues="false"
        )
        if row.get("activityInstanceId") == pid and row.get("state") != "DELETED"
    }
    return now | ever


def test_minor_change_is_applied_while_the_order_waits(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pid, history = order["process_instance_id"], live_engine.history
    waiting = waiting_task(history, pid)
    before = order_state(sessions, order["id"])

    change = ask(
        api,
        order["id"],
        line_changes=[{"line_no": 1, "width_mm": 1000, "finish": "胡桃木色"}],
        new_delivery_date="2099-07-15",
    )
    assert change["status"] == "received"
    assert change["change_number"] == f"{order['order_number']}-C01"

    staff = SimulatedStaff(live_engine.client, history)
    final = staff.work_until(pid, change_status(sessions, change["id"]), stop_at=REVIEWS)
    assert final == ChangeStatus.APPLIED
    assert [(t.element_id, t.candidate_groups) for t in staff.done] == [("AssessChangeImpact", ["project"])]

    # The same instance goes on, still waiting where it was: nothing restarted.
    history.wait_for(lambda: history.visited(pid, "ChangeRequestSubprocess"), 30, "the subprocess to complete")
    assert history.instance_state(pid) == "ACTIVE"
    assert waiting_task(history, pid).id == waiting.id
    assert history.visited(pid, "ApplyChange") == 1
    assert history.visited(pid, "ReviewChangeTechnical", "started") == 0
    assert history.incidents(pid) == []

    stored = api.get(f"/change-requests/{change['id']}").json()
    assert stored["major"] is False and stored["schedule_impact_days"] == 2
    assert Decimal(stored["cost_delta"]) == Decimal("800.00")
    assert stored["applied_revision"] == 2

    after = order_state(sessions, order["id"])
    assert after["lines"][0]["width_mm"] == 1000 and after["lines"][0]["finish"] == "胡桃木色"
    assert after["lines"][1] == before["lines"][1]
    assert after["requested_delivery_date"] == "2099-07-15"
    assert revisions(sessions, order["id"]) == [(1, None), (2, change["id"])]
    with sessions() as s:
        o = s.get(Order, order["id"])
        assert o is not None and o.process_instance_id == pid
        [entry] = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.changed", AuditEntry.entity_id == str(order["id"]))
        )
        assert entry.before is not None and entry.after is not None
        assert entry.before["revision"] == 1 and entry.after["revision"] == 2
        assert entry.before["lines"][0]["width_mm"] == 960 and entry.after["lines"][0]["width_mm"] == 1000
        assert entry.before["requested_delivery_date"] == "2099-06-30"

    # The order then carries on from where it waited: the review completes and the feasibility rule runs.
    staff.work_until(pid, lambda: history.visited(pid, "DecideFeasibility"), stop_at={"LegalReview", "ApprovePrice"})
    assert history.visited(pid, "ReviewProductionCapacity") == 1


def test_major_change_is_reviewed_by_departments_and_approved_by_the_customer(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pid, history = order["process_instance_id"], live_engine.history
    change = ask(api, order["id"], line_changes=[{"line_no": 2, "width_mm": 1200, "quantity": 40}])

    staff = SimulatedStaff(live_engine.client, history)
    final = staff.work_until(
        pid,
        change_status(sessions, change["id"]),
        overrides={"AssessChangeImpact": MAJOR_BY_SCHEDULE},
        stop_at=REVIEWS,
    )
    assert final == ChangeStatus.APPLIED
    groups = {t.element_id: t.candidate_groups for t in staff.done}
    assert groups == {
        "AssessChangeImpact": ["project"],
        "ReviewChangeTechnical": ["technical"],
        "ReviewChangeProduction": ["production"],
        "ReviewChangeFinance": ["finance"],
        "CustomerApproveChange": ["sales"],
    }
    assert [t.element_id for t in staff.done][-1] == "CustomerApproveChange"  # after every department

    stored = api.get(f"/change-requests/{change['id']}").json()
    assert stored["major"] is True and stored["impact_reason"] == "工期影响达到 7 天"
    assert sorted(r["department"] for r in stored["reviews"]) == ["finance", "production", "technical"]
    assert all(r["approved"] for r in stored["reviews"])
    assert stored["customer_approved"] is True and stored["customer_note"] == "客户同意延期与加价"
    assert stored["status"] == "applied" and stored["applied_revision"] == 2
    after = order_state(sessions, order["id"])
    assert after["lines"][1]["width_mm"] == 1200 and after["lines"][1]["quantity"] == 40

    # The change order amends the contract: stored with the order's documents.
    [doc] = [d for d in api.get(f"/orders/{order['id']}/documents").json() if d["kind"] == "change_order"]
    assert doc["category"] == "contract" and doc["title"] == f"订单变更单 {change['change_number']}"
    html = api.get(f"/documents/{doc['id']}/content").text
    for expected in ("第 2 行 宽(mm)", "850", "1200", "第 1 版 → 第 2 版", "重大变更", "技术部", "客户同意延期与加价"):
        assert expected in html, expected
    assert history.instance_state(pid) == "ACTIVE"
    assert history.incidents(pid) == []


def test_major_change_the_customer_rejects_leaves_the_order_unchanged(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pid, history = order["process_instance_id"], live_engine.history
    before = order_state(sessions, order["id"])
    change = ask(api, order["id"], line_changes=[{"line_no": 1, "door_type": "fire"}], price_delta="9600.00")

    staff = SimulatedStaff(live_engine.client, history)
    final = staff.work_until(
        pid,
        change_status(sessions, change["id"]),
        overrides={
            "AssessChangeImpact": dict(MAJOR_BY_SCHEDULE, changeScheduleDays=3, changeCostDelta=12000.0),
            "CustomerApproveChange": {
                "changeCustomerApproved": False,
                "changeCustomerNote": "客户认为加价过高，维持原订单",
            },
        },
        stop_at=REVIEWS,
    )
    assert final == ChangeStatus.REJECTED
    stored = api.get(f"/change-requests/{change['id']}").json()
    assert stored["major"] is True and stored["impact_reason"] == "成本变化达到 5000 元"
    assert stored["customer_approved"] is False
    assert stored["rejection_reason"] == "客户不同意 — 客户认为加价过高，维持原订单"
    assert stored["applied_revision"] is None
    assert order_state(sessions, order["id"]) == before
    assert revisions(sessions, order["id"]) == []
    assert [d for d in api.get(f"/orders/{order['id']}/documents").json() if d["kind"] == "change_order"] == []
    history.wait_for(lambda: history.visited(pid, "ChangeRejected"), 30, "the rejection end event")
    assert history.visited(pid, "ApplyChange", "started") == 0
    assert history.instance_state(pid) == "ACTIVE"
    assert history.incidents(pid) == []


def test_major_change_a_department_refuses_is_rejected_without_asking_the_customer(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pid, history = order["process_instance_id"], live_engine.history
    before = order_state(sessions, order["id"])
    change = ask(api, order["id"], line_changes=[{"line_no": 2, "material": "实木"}])

    staff = SimulatedStaff(live_engine.client, history)
    final = staff.work_until(
        pid,
        change_status(sessions, change["id"]),
        overrides={
            "AssessChangeImpact": dict(MAJOR_BY_SCHEDULE, changeQualityImpact="significant", changeScheduleDays=1),
            "ReviewChangeFinance": {"changeFinanceApproved": False, "changeFinanceComment": "成本超出预算，不同意"},
        },
        stop_at=REVIEWS,
    )
    assert final == ChangeStatus.REJECTED
    stored = api.get(f"/change-requests/{change['id']}").json()
    assert stored["impact_reason"] == "质量影响显著"
    assert stored["rejection_reason"] == "部门不同意 — finance: 成本超出预算，不同意"
    assert {r["department"]: r["approved"] for r in stored["reviews"]} == {
        "technical": True,
        "production": True,
        "finance": False,
    }
    assert "CustomerApproveChange" not in {t.element_id for t in staff.done}
    assert order_state(sessions, order["id"]) == before
    history.wait_for(lambda: history.visited(pid, "ChangeRejected"), 30, "the rejection end event")
    assert history.visited(pid, "CustomerApproveChange", "started") == 0
    assert history.incidents(pid) == []


def test_two_change_requests_run_in_parallel_for_one_order(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pid, history = order["process_instance_id"], live_engine.history
    major = ask(api, order["id"], description="1 号门加宽", line_changes=[{"line_no": 1, "width_mm": 1100}])
    minor = ask(
        api, order["id"], description="2 号门换锁", line_changes=[{"line_no": 2, "lock_hardware": "智能指纹锁"}]
    )
    assert (major["request_no"], minor["request_no"]) == (1, 2)

    # Both subprocess instances are open at once, each waiting for its own assessment.
    def two_assessments() -> list[UserTask]:
        tasks = [t for t in history.open_user_tasks(pid) if t.element_id == "AssessChangeImpact"]
        return tasks if len(tasks) == 2 else []

    assessing = history.wait_for(two_assessments, 30, "two open assessments")
    assert {change_of_task(history, t) for t in assessing} == {major["id"], minor["id"]}

    def assessment(task: UserTask) -> dict[str, Any]:
        if change_of_task(history, task) == major["id"]:
            return dict(MAJOR_BY_SCHEDULE)
        return {"changeScheduleDays": 0, "changeQualityImpact": "none", "changeCostDelta": 300.0}

    staff = SimulatedStaff(live_engine.client, history)
    both_done = change_status(sessions, major["id"]), change_status(sessions, minor["id"])
    staff.work_until(
        pid,
        lambda: all(done() for done in both_done),
        overrides={"AssessChangeImpact": assessment},
        stop_at=REVIEWS,
    )
    history.wait_for(lambda: history.visited(pid, "ChangeRequestSubprocess") == 2, 30, "both subprocesses")

    first, second = (api.get(f"/change-requests/{c['id']}").json() for c in (major, minor))
    assert (first["status"], first["major"], second["status"], second["major"]) == ("applied", True, "applied", False)
    assert {first["applied_revision"], second["applied_revision"]} == {2, 3}
    assert len(first["reviews"]) == 3 and second["reviews"] == []
    after = order_state(sessions, order["id"])
    assert after["lines"][0]["width_mm"] == 1100 and after["lines"][1]["lock_hardware"] == "智能指纹锁"
    assert [r for r, _ in revisions(sessions, order["id"])] == [1, 2, 3]
    listed = api.get(f"/orders/{order['id']}/change-requests").json()
    assert [c["change_number"] for c in listed] == [major["change_number"], minor["change_number"]]

    # Each subprocess kept its variables to itself: none reached the order's scope.
    leaked = {name for name in order_scope_variables(live_engine, pid) if name.startswith("change")}
    assert leaked == set()
    assert history.instance_state(pid) == "ACTIVE"
    assert history.incidents(pid) == []


def _queued_change_messages(sessions: sessionmaker[Session], order_number: str) -> int:
    """ChangeRequested wake-ups stored for the order (the outbox: every message the API sends is stored first)."""
    with sessions() as s:
        query = select(func.count()).select_from(EngineMessage)
        query = query.where(EngineMessage.name == "ChangeRequested", EngineMessage.business_key == order_number)
        return int(s.scalar(query) or 0)


def _stored_changes(sessions: sessionmaker[Session], order_id: int) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(ChangeRequest).where(ChangeRequest.order_id == order_id)))


@pytest.mark.parametrize("closed", [OrderStatus.ACCEPTED, OrderStatus.COMPLETED, OrderStatus.REJECTED])
def test_change_request_for_a_closed_order_is_refused(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], closed: OrderStatus
) -> None:
    order = start_order(api, live_engine)
    with sessions() as s, s.begin():
        stored = s.get(Order, order["id"])
        assert stored is not None
        stored.status = closed

    response = api.post(f"/orders/{order['id']}/change-requests", json={"description": "改色", "requested_by": "客户"})

    assert response.status_code == 409
    assert closed.value in response.json()["detail"]
    assert _stored_changes(sessions, order["id"]) == 0
    assert _queued_change_messages(sessions, order["order_number"]) == 0
    assert live_engine.history.visited(order["process_instance_id"], "ChangeRequestSubprocess", "started") == 0


def test_change_request_for_an_unknown_order_is_404(api: TestClient) -> None:
    response = api.post("/orders/987654321/change-requests", json={"description": "改色", "requested_by": "客户"})
    assert response.status_code == 404
    assert api.get("/orders/987654321/change-requests").status_code == 404
    assert api.get("/change-requests/987654321").status_code == 404


BASE = {"description": "改", "requested_by": "客户"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"requested_by": "客户"}, ["body", "description"]),
        ({"description": "  ", "requested_by": "客户"}, ["body", "description"]),
        ({"description": "改色", "requested_by": "客户", "channel": "pigeon"}, ["body", "channel"]),
        ({**BASE, "new_delivery_date": "2001-01-01"}, ["body", "new_delivery_date"]),
        ({**BASE, "price_delta": "1.234"}, ["body", "price_delta"]),
        ({**BASE, "line_changes": [{"line_no": 9, "quantity": 2}]},
         ["body", "line_changes", 0, "line_no"]),
        ({**BASE, "line_changes": [{"line_no": 1, "width_mm": -5}]},
         ["body", "line_changes", 0, "width_mm"]),
        ({**BASE, "line_changes": [{"line_no": 1, "height_mm": 99999}]},
         ["body", "line_changes", 0, "height_mm"]),
        ({**BASE, "line_changes": [{"line_no": 1, "handing": "upside_down"}]},
         ["body", "line_changes", 0, "handing"]),
        ({**BASE, "line_changes": [{"line_no": 1}]}, ["body", "line_changes", 0]),
    ],
)  # fmt: skip
def test_invalid_change_request_is_refused_naming_the_field(
    api: TestClient,
    live_engine: LiveEngine,
    workers: stack.Child,
    sessions: sessionmaker[Session],
    body: dict[str, Any],
    field: list[Any],
) -> None:
    # A registered order (its register job done), so no job of this module is left for later modules.
    order = start_order(api, live_engine)

    response = api.post(f"/orders/{order['id']}/change-requests", json=body)

    assert response.status_code == 422, response.text
    locs = [d["loc"] for d in response.json()["detail"]]
    assert field in locs, locs
    assert _stored_changes(sessions, order["id"]) == 0
    assert _queued_change_messages(sessions, order["order_number"]) == 0


def test_a_change_requested_while_the_engine_is_down_is_kept_for_delivery(
    db_url: str, live_engine: LiveEngine, sessions: sessionmaker[Session]
) -> None:
    """The request and its ChangeRequested wake-up are stored together; the engine is not needed to accept it."""
    with sessions() as s, s.begin():
        order = Order(
            order_number=f"DO{factory_day():%Y%m%d}-CR503",
            customer_name="宁波港务集团",
            delivery_address="浙江省宁波市北仑区",
            requested_delivery_date=date(2099, 6, 30),
            status=OrderStatus.REGISTERED,
        )
        s.add(order)
        s.flush()
        order_id, order_number = order.id, order.order_number
    down = create_app(make_settings(db_url, f"http://127.0.0.1:{stack.free_port()}"), verified(live_engine))
    with TestClient(down) as client:
        response = authed(client).post(
            f"/orders/{order_id}/change-requests", json={"description": "改色", "requested_by": "客户"}
        )
    assert response.status_code == 201, response.text
    change_id = response.json()["id"]
    assert _stored_changes(sessions, order_id) == 1
    with sessions() as s:
        [message] = s.scalars(
            select(EngineMessage).where(
                EngineMessage.name == "ChangeRequested", EngineMessage.business_key == order_number
            )
        ).all()
        assert message.message_id == f"change-request-{change_id}"
        assert message.variables == {"changeRequestId": change_id}
        assert message.delivered_at is None  # waits in the outbox until the order's process takes it


def test_change_request_mid_production_adjusts_the_plan_and_production_goes_on(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """The customer widens a door while it is being built: the running production is not restarted."""
    order = api.post("/orders", json=order_payload(customer_name="宁波东方商业广场")).json()
    pid, history = order["process_instance_id"], live_engine.history
    staff = SimulatedStaff(live_engine.client, history, responders=factory_responders(api, order["id"]))

    # Review, contract, handover, deposit (paid through the payments API), material purchase: up to the stages.
    staff.work_until(
        pid,
        lambda: any(t.element_id == "ReportStageProgress" for t in history.open_user_tasks_in_tree(pid)),
        timeout_s=180,
        stop_at={"ReportStageProgress"},
    )
    [production] = history.child_instances(pid, "door-production")
    [stage_task] = [t for t in history.open_user_tasks(production) if t.element_id == "ReportStageProgress"]
    with sessions() as s:
        plan = s.scalars(select(ProductionPlan).where(ProductionPlan.order_id == order["id"])).one()
        due_before, milestones_before = plan.due_date, [st.milestone for st in plan.stages]

    change = ask(api, order["id"], line_changes=[{"line_no": 1, "width_mm": 1000}])
    assert staff.work_until(pid, change_status(sessions, change["id"]), stop_at={"ReportStageProgress"}) == (
        ChangeStatus.APPLIED
    )

    # Same order instance, same production instance, the same stage task still open: nothing restarted.
    assert history.instance_state(pid) == history.instance_state(production) == "ACTIVE"
    assert history.child_instances(pid, "door-production") == [production]
    assert stage_task.id in {t.id for t in history.open_user_tasks(production)}
    days = CHANGE_ANSWERS_SCHEDULE_DAYS
    with sessions() as s:
        plan = s.scalars(select(ProductionPlan).where(ProductionPlan.order_id == order["id"])).one()
        assert plan.due_date == due_before + timedelta(days=days)
        assert [st.milestone for st in plan.stages] == [m + timedelta(days=days) for m in milestones_before]
        assert s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "production_plan.adjusted", AuditEntry.entity_id == str(plan.id)
            )
        ).one()
        assert s.get(Order, order["id"]).lines[0].width_mm == 1000  # type: ignore[union-attr]

    # The order then runs on to acceptance with the changed door.
    staff.work_until(pid, lambda: history.visited(pid, "FollowUpDue", "started"), timeout_s=180)
    assert history.incidents(pid) == [] and history.incidents(production) == []
