"""The walking skeleton on the real engine: API → instance → worker → PostgreSQL → user task → done."""

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


def test_order_runs_through_worker_and_user_task(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    response = api.post("/orders", json=order_payload())
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "received"
    assert order["total_amount"] == "74658.00"  # 12 × 2380.00 + 36 × 1280.50
    pik = order["process_instance_key"]
    assert isinstance(pik, int)

    records = live_engine.records
    task = records.wait_for(lambda: records.open_user_tasks(pik), 60, "the confirmation user task")[0]
    assert task.element_id == "ConfirmOrder"
    assert task.candidate_groups == ["sales"]

    # The worker ran before the user task was created: its row is there.
    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.status == OrderStatus.REGISTERED
        job = s.scalars(select(ProcessedJob).where(ProcessedJob.business_key == f"order:{order['id']}")).one()
        assert job.result["orderNumber"] == order["order_number"]
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(order["id"])))]
        assert actions == ["order.created", "order.registered"]

    live_engine.camunda.complete_user_task(task.key, {"orderConfirmed": True, "confirmComment": "客户已电话确认"})
    final = records.wait_for(
        lambda: records.instance_state(pik) == "ELEMENT_COMPLETED" and "done", 30, "instance completion"
    )
    assert final == "done"
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
