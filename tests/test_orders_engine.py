"""Order intake on the real engine: API → instance → worker → PostgreSQL → the parallel review tasks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from models.audit import AuditEntry
from models.jobs import ProcessedTask
from models.orders.tables import Order, OrderStatus
from tests.conftest import LiveEngine, order_payload

pytestmark = pytest.mark.engine


def test_order_runs_through_worker_into_the_parallel_review(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    response = api.post("/orders", json=order_payload(customer_email="purchase@greentown.example"))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "received"
    assert order["customer_email"] == "purchase@greentown.example"
    assert order["total_amount"] == "74658.00"  # 12 × 2380.00 + 36 × 1280.50
    pid = order["process_instance_id"]
    assert isinstance(pid, str) and pid

    history = live_engine.history
    assert history.business_key(pid) == order["order_number"]  # the whole order tree is keyed by it
    tasks = history.wait_for(
        lambda: len(history.open_user_tasks(pid)) == 3 and history.open_user_tasks(pid), 60, "the three review tasks"
    )
    groups = {t.element_id: t.candidate_groups for t in tasks}
    assert groups == {
        "ReviewProductionCapacity": ["production"],
        "ReviewMaterialSupply": ["purchasing"],
        "ReviewInstallationCapacity": ["installation"],
    }

    timeline = api.get(f"/orders/{order['id']}/timeline").json()
    steps = {st["element_id"]: st for st in timeline["current_steps"]}
    assert set(steps) == set(groups)
    assert steps["ReviewMaterialSupply"]["candidate_groups"] == ["purchasing"]
    assert {st["user_task_id"] for st in steps.values()} == {t.id for t in tasks}
    assert steps["ReviewMaterialSupply"]["element_type"] == "userTask"
    assert steps["ReviewMaterialSupply"]["name"] == "评审原材料供应"
    assert [f["action"] for f in timeline["facts"]] == ["order.created", "order.registered"]

    # The worker ran before the user tasks were created: its row is there.
    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.status == OrderStatus.REGISTERED
        job = s.scalars(select(ProcessedTask).where(ProcessedTask.business_key == f"order:{order['id']}")).one()
        assert job.task_type == "doorflow.order.register"
        assert job.result["orderNumber"] == order["order_number"]
        assert job.result["customerEmail"] == "purchase@greentown.example"
        assert not {"followUpDelay", "depositReminderAfter", "minLeadTimeDays"} & set(job.result)
        trail = select(AuditEntry).where(AuditEntry.entity == "order", AuditEntry.entity_id == str(order["id"]))
        # In the order the facts happened (without ORDER BY the heap's order, which a worker row written
        # before the API's commit could lead).
        actions = [a.action for a in s.scalars(trail.order_by(AuditEntry.at, AuditEntry.id))]
        assert actions == ["order.created", "order.registered"]
    # What the worker handed the process: primitives only (no Json, no serialized objects).
    assert history.variable(pid, "orderNumber") == order["order_number"]
    # Settings are not variables (issue 16 item 1): the engine reads them when a timer or rule uses them.
    instance_variables = live_engine.client.get(f"/process-instance/{pid}/variables")
    for setting in ("minLeadTimeDays", "depositReminderAfter", "followUpDelay"):
        assert setting not in instance_variables
        assert history.variable(pid, setting) is None
    assert history.incidents(pid) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, ["body", "lines"]),
        ({"customer_name": "  "}, ["body", "customer_name"]),
        ({"requested_delivery_date": "2001-01-01"}, ["body", "requested_delivery_date"]),
        ({"lines": [dict(order_payload()["lines"][0], width_mm=-5)]}, ["body", "lines", 0, "width_mm"]),  # type: ignore[index]
        ({"lines": [dict(order_payload()["lines"][0], height_mm=99999)]}, ["body", "lines", 0, "height_mm"]),  # type: ignore[index]
        ({"lines": [dict(order_payload()["lines"][0], handing="upside_down")]}, ["body", "lines", 0, "handing"]),  # type: ignore[index]
        ({"lines": [dict(order_payload()["lines"][0], quantity=0)]}, ["body", "lines", 0, "quantity"]),  # type: ignore[index]
        (
            {"lines": [dict(order_payload()["lines"][0], wall_thickness_mm=5_000_000_000)]},  # type: ignore[index]
            ["body", "lines", 0, "wall_thickness_mm"],
        ),
        ({"lines": [dict(order_payload()["lines"][0], unit_price="9999999999.99", quantity=500)]}, ["body", "lines"]),  # type: ignore[index]
        ({"lines": [order_payload()["lines"][0]] * 201}, ["body", "lines"]),  # type: ignore[index]
        ({"customer_email": "not-an-address"}, ["body", "customer_email"]),
        ({"requested_discount_percent": "100"}, ["body", "requested_discount_percent"]),
    ],
)
def test_invalid_order_is_refused_and_nothing_is_stored(
    api: TestClient,
    live_engine: LiveEngine,
    sessions: sessionmaker[Session],
    change: dict[str, object],
    field: list[object],
) -> None:
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(Order))
    started_before = _door_order_starts(live_engine)

    response = api.post("/orders", json=order_payload(**change))

    assert response.status_code == 422
    locs = [d["loc"] for d in response.json()["detail"]]
    assert field in locs, locs
    assert all(d["msg"] for d in response.json()["detail"])
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == before
    assert _door_order_starts(live_engine) == started_before


def _door_order_starts(live_engine: LiveEngine) -> int:
    counted = live_engine.client.get("/history/process-instance/count", processDefinitionKey="door-order")
    return int(counted["count"])


def test_bad_job_data_becomes_an_incident_without_retries(live_engine: LiveEngine, workers: stack.Child) -> None:
    """A worker never dies on bad data: the task fails once, with no retries left, and Cockpit shows why."""
    pid = live_engine.client.start_process(
        "door-order", "DO20990101-BAD01", {"orderId": "not-a-number", "orderNumber": "DO20990101-BAD01"}
    )
    history = live_engine.history
    incident = history.wait_for(lambda: history.incidents(pid), 30, "the incident")[0]
    assert incident["incidentType"] == "failedExternalTask"
    assert incident["activityId"] == "RegisterOrder" and incident["open"]
    assert "bad task data" in incident["incidentMessage"] and "orderId" in incident["incidentMessage"]
    failures = live_engine.client.get("/history/external-task-log", processInstanceId=pid, failureLog="true")
    assert len(failures) == 1  # not retried
    assert workers.proc.poll() is None  # the worker is still serving
