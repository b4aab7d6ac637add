"""Order intake on the real engine: API → instance → worker → PostgreSQL → the parallel review tasks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from models.audit import AuditEntry
from models.jobs import ProcessedJob
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
    pik = order["process_instance_key"]
    assert isinstance(pik, int)

    records = live_engine.records
    tasks = records.wait_for(
        lambda: len(records.open_user_tasks(pik)) == 3 and records.open_user_tasks(pik), 60, "the three review tasks"
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
    assert {st["user_task_key"] for st in steps.values()} == {t.key for t in tasks}
    assert [f["action"] for f in timeline["facts"]] == ["order.created", "order.registered"]

    # The worker ran before the user tasks were created: its row is there.
    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.status == OrderStatus.REGISTERED
        job = s.scalars(select(ProcessedJob).where(ProcessedJob.business_key == f"order:{order['id']}")).one()
        assert job.result["orderNumber"] == order["order_number"]
        assert job.result["customerEmail"] == "purchase@greentown.example"
        assert job.result["followUpDelay"] == "P7D"
        trail = select(AuditEntry).where(AuditEntry.entity == "order", AuditEntry.entity_id == str(order["id"]))
        actions = [a.action for a in s.scalars(trail)]
        assert actions == ["order.created", "order.registered"]
    assert records.incidents(pik) == []


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
            {"lines": [dict(order_payload()["lines"][0], wall_thickness_mm=5_000_000_000)]},
            ["body", "lines", 0, "wall_thickness_mm"],
        ),  # type: ignore[index]
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
    return sum(
        1
        for r in live_engine.records.events("PROCESS_INSTANCE")
        if r["intent"] == "ELEMENT_ACTIVATED"
        and r["value"]["bpmnElementType"] == "PROCESS"
        and r["value"]["bpmnProcessId"] == "door-order"
    )


def test_bad_job_data_becomes_an_incident_without_retries(live_engine: LiveEngine, workers: stack.Child) -> None:
    """A worker never dies on bad data: the job fails once, with no retries left, and Operate shows why."""
    # orderNumber is there as for every door-order start: the ChangeRequested subscription is keyed on it.
    pik = live_engine.camunda.create_process_instance(
        "door-order", {"orderId": "not-a-number", "orderNumber": "DO20990101-BAD01"}
    )
    records = live_engine.records
    incident = records.wait_for(lambda: records.incidents(pik), 30, "the incident")[0]
    assert incident["value"]["errorType"] == "JOB_NO_RETRIES"
    assert "bad job data" in incident["value"]["errorMessage"]
    failures = [r for r in records.events("JOB") if r["intent"] == "FAILED" and r["value"]["processInstanceKey"] == pik]
    assert len(failures) == 1  # not retried
    assert workers.proc.poll() is None  # the worker is still serving
