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
from doorflow.records import RecordLog, UserTask
from doorflow.simulated_systems import factory_responders
from doorflow.staff import SimulatedStaff
from doorflow.staff_answers.changes import ANSWERS as CHANGE_ANSWERS
from models.audit import AuditEntry
from models.changes.tables import ChangeRequest, ChangeStatus, OrderRevision
from models.orders.tables import Order, OrderStatus
from models.production.tables import ProductionPlan
from tests.conftest import LiveEngine, make_settings, order_payload

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
    records = live_engine.records
    records.wait_for(
        lambda: [t for t in records.open_user_tasks(order["process_instance_key"]) if t.element_id == WAITING_AT],
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


def change_of_task(records: RecordLog, task: UserTask) -> int:
    """Which change request a user task of the event subprocess belongs to (its scope's local variable)."""
    created = next(r for r in records.events("USER_TASK") if r["key"] == task.key)
    element = next(r for r in records.events("PROCESS_INSTANCE") if r["key"] == created["value"]["elementInstanceKey"])
    scope = element["value"]["flowScopeKey"]
    return int(
        next(
            r["value"]["value"]
            for r in records.events("VARIABLE")
            if r["value"]["scopeKey"] == scope
            and r["value"]["name"] == "changeRequestId"
            and r["value"]["value"] != "null"
        )
    )


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


def waiting_task(records: RecordLog, pik: int) -> UserTask:
    [task] = [t for t in records.open_user_tasks(pik) if t.element_id == WAITING_AT]
    return task


def test_minor_change_is_applied_while_the_order_waits(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pik, records = order["process_instance_key"], live_engine.records
    waiting = waiting_task(records, pik)
    before = order_state(sessions, order["id"])

    change = ask(
        api,
        order["id"],
        line_changes=[{"line_no": 1, "width_mm": 1000, "finish": "胡桃木色"}],
        new_delivery_date="2099-07-15",
    )
    assert change["status"] == "received"
    assert change["change_number"] == f"{order['order_number']}-C01"

    staff = SimulatedStaff(live_engine.camunda, records)
    final = staff.work_until(pik, change_status(sessions, change["id"]), stop_at=REVIEWS)
    assert final == ChangeStatus.APPLIED
    assert [(t.element_id, t.candidate_groups) for t in staff.done] == [("AssessChangeImpact", ["project"])]

    # The same instance goes on, still waiting where it was: nothing restarted.
    records.wait_for(lambda: records.visited(pik, "ChangeRequestSubprocess"), 30, "the subprocess to complete")
    assert records.instance_state(pik) == "ELEMENT_ACTIVATED"
    assert waiting_task(records, pik).key == waiting.key
    assert records.visited(pik, "ApplyChange") == 1
    assert records.visited(pik, "ReviewChangeTechnical", "ELEMENT_ACTIVATED") == 0
    assert records.incidents(pik) == []

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
        assert o is not None and o.process_instance_key == pik
        [entry] = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.changed", AuditEntry.entity_id == str(order["id"]))
        )
        assert entry.before is not None and entry.after is not None
        assert entry.before["revision"] == 1 and entry.after["revision"] == 2
        assert entry.before["lines"][0]["width_mm"] == 960 and entry.after["lines"][0]["width_mm"] == 1000
        assert entry.before["requested_delivery_date"] == "2099-06-30"

    # The order then carries on from where it waited: the review completes and the feasibility rule runs.
    staff.work_until(pik, lambda: records.visited(pik, "DecideFeasibility"), stop_at={"LegalReview", "ApprovePrice"})
    assert records.visited(pik, "ReviewProductionCapacity") == 1


def test_major_change_is_reviewed_by_departments_and_approved_by_the_customer(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pik, records = order["process_instance_key"], live_engine.records
    change = ask(api, order["id"], line_changes=[{"line_no": 2, "width_mm": 1200, "quantity": 40}])

    staff = SimulatedStaff(live_engine.camunda, records)
    final = staff.work_until(
        pik,
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
    assert records.instance_state(pik) == "ELEMENT_ACTIVATED"
    assert records.incidents(pik) == []


def test_major_change_the_customer_rejects_leaves_the_order_unchanged(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pik, records = order["process_instance_key"], live_engine.records
    before = order_state(sessions, order["id"])
    change = ask(api, order["id"], line_changes=[{"line_no": 1, "door_type": "fire"}], price_delta="9600.00")

    staff = SimulatedStaff(live_engine.camunda, records)
    final = staff.work_until(
        pik,
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
    records.wait_for(lambda: records.visited(pik, "ChangeRejected"), 30, "the rejection end event")
    assert records.visited(pik, "ApplyChange", "ELEMENT_ACTIVATED") == 0
    assert records.instance_state(pik) == "ELEMENT_ACTIVATED"
    assert records.incidents(pik) == []


def test_major_change_a_department_refuses_is_rejected_without_asking_the_customer(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pik, records = order["process_instance_key"], live_engine.records
    before = order_state(sessions, order["id"])
    change = ask(api, order["id"], line_changes=[{"line_no": 2, "material": "实木"}])

    staff = SimulatedStaff(live_engine.camunda, records)
    final = staff.work_until(
        pik,
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
    records.wait_for(lambda: records.visited(pik, "ChangeRejected"), 30, "the rejection end event")
    assert records.visited(pik, "CustomerApproveChange", "ELEMENT_ACTIVATED") == 0
    assert records.incidents(pik) == []


def test_two_change_requests_run_in_parallel_for_one_order(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order = start_order(api, live_engine)
    pik, records = order["process_instance_key"], live_engine.records
    major = ask(api, order["id"], description="1 号门加宽", line_changes=[{"line_no": 1, "width_mm": 1100}])
    minor = ask(
        api, order["id"], description="2 号门换锁", line_changes=[{"line_no": 2, "lock_hardware": "智能指纹锁"}]
    )
    assert (major["request_no"], minor["request_no"]) == (1, 2)

    # Both subprocess instances are open at once, each waiting for its own assessment.
    def two_assessments() -> list[UserTask]:
        tasks = [t for t in records.open_user_tasks(pik) if t.element_id == "AssessChangeImpact"]
        return tasks if len(tasks) == 2 else []

    assessing = records.wait_for(two_assessments, 30, "two open assessments")
    assert {change_of_task(records, t) for t in assessing} == {major["id"], minor["id"]}

    def assessment(task: UserTask) -> dict[str, Any]:
        if change_of_task(records, task) == major["id"]:
            return dict(MAJOR_BY_SCHEDULE)
        return {"changeScheduleDays": 0, "changeQualityImpact": "none", "changeCostDelta": 300.0}

    staff = SimulatedStaff(live_engine.camunda, records)
    both_done = change_status(sessions, major["id"]), change_status(sessions, minor["id"])
    staff.work_until(
        pik,
        lambda: all(done() for done in both_done),
        overrides={"AssessChangeImpact": assessment},
        stop_at=REVIEWS,
    )
    records.wait_for(lambda: records.visited(pik, "ChangeRequestSubprocess") == 2, 30, "both subprocesses")

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
    leaked = {
        r["value"]["name"]
        for r in records.events("VARIABLE")
        if r["value"]["scopeKey"] == pik and r["value"]["name"].startswith("change")
    }
    assert leaked == set()
    assert records.instance_state(pik) == "ELEMENT_ACTIVATED"
    assert records.incidents(pik) == []


def _published_change_messages(records: RecordLog, order_number: str) -> int:
    return sum(
        1
        for r in records.events("MESSAGE")
        if r["intent"] == "PUBLISHED"
        and r["value"]["name"] == "ChangeRequested"
        and r["value"]["correlationKey"] == order_number
    )


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
    assert _published_change_messages(live_engine.records, order["order_number"]) == 0
    assert records_visited_subprocess(live_engine.records, order["process_instance_key"]) == 0


def records_visited_subprocess(records: RecordLog, pik: int) -> int:
    return records.visited(pik, "ChangeRequestSubprocess", "ELEMENT_ACTIVATED")


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
    assert _published_change_messages(live_engine.records, order["order_number"]) == 0


def test_engine_down_stores_nothing(db_url: str, live_engine: LiveEngine, sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        order = Order(
            order_number=f"DO{date.today():%Y%m%d}-CR503",
            customer_name="宁波港务集团",
            delivery_address="浙江省宁波市北仑区",
            requested_delivery_date=date(2099, 6, 30),
            status=OrderStatus.REGISTERED,
        )
        s.add(order)
        s.flush()
        order_id = order.id
    down = create_app(make_settings(db_url, f"http://127.0.0.1:{stack.free_port()}"))
    with TestClient(down) as client:
        response = client.post(
            f"/orders/{order_id}/change-requests", json={"description": "改色", "requested_by": "客户"}
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert _stored_changes(sessions, order_id) == 0


def test_change_request_mid_production_adjusts_the_plan_and_production_goes_on(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """The customer widens a door while it is being built: the running production is not restarted."""
    order = api.post("/orders", json=order_payload(customer_name="宁波东方商业广场")).json()
    pik, records = order["process_instance_key"], live_engine.records
    staff = SimulatedStaff(live_engine.camunda, records, responders=factory_responders(api, order["id"]))

    # Review, contract, handover, deposit (paid through the payments API), material purchase: up to the stages.
    staff.work_until(
        pik,
        lambda: any(t.element_id == "ReportStageProgress" for t in records.open_user_tasks_in_tree(pik)),
        timeout_s=180,
        stop_at={"ReportStageProgress"},
    )
    [production] = records.child_instances(pik, "door-production")
    [stage_task] = [t for t in records.open_user_tasks(production) if t.element_id == "ReportStageProgress"]
    with sessions() as s:
        plan = s.scalars(select(ProductionPlan).where(ProductionPlan.order_id == order["id"])).one()
        due_before, milestones_before = plan.due_date, [st.milestone for st in plan.stages]

    change = ask(api, order["id"], line_changes=[{"line_no": 1, "width_mm": 1000}])
    assert staff.work_until(pik, change_status(sessions, change["id"]), stop_at={"ReportStageProgress"}) == (
        ChangeStatus.APPLIED
    )

    # Same order instance, same production instance, the same stage task still open: nothing restarted.
    assert records.instance_state(pik) == records.instance_state(production) == "ELEMENT_ACTIVATED"
    assert records.child_instances(pik, "door-production") == [production]
    assert stage_task.key in {t.key for t in records.open_user_tasks(production)}
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
    staff.work_until(pik, lambda: records.visited(pik, "FollowUpDue", "ELEMENT_ACTIVATED"), timeout_s=180)
    assert records.incidents(pik) == [] and records.incidents(production) == []
