"""External tasks are delivered at least once: a task the engine hands out twice has one effect.

No worker process runs in this module: the test locks the order's register task itself, as a worker would.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.operaton import encode
from models.audit import AuditEntry
from models.jobs import ProcessedTask
from models.orders.tables import Order, OrderStatus
from tests.conftest import LiveEngine, make_settings, order_payload
from tests.redelivery import fetch_and_lock
from workers.main import make_executor
from workers.registry import TaskType

pytestmark = pytest.mark.engine

WORKER_ID = "test-order-redelivery"


def test_same_task_delivered_twice_has_one_effect(
    api: TestClient, live_engine: LiveEngine, db_url: str, sessions: sessionmaker[Session]
) -> None:
    order = api.post("/orders", json=order_payload(customer_name="宁波重复投递测试有限公司")).json()
    pid = order["process_instance_id"]
    execute = make_executor(sessions, make_settings(db_url, live_engine.cfg.url))

    # A worker runs the task but never reports (it died): the lock runs out and the engine hands the same
    # task out again; the second run finds the first one's record and returns its result unchanged.
    first = fetch_and_lock(live_engine, TaskType.ORDER_REGISTER, order["order_number"], 1_000, 30, WORKER_ID)
    first_outcome = execute(first)
    second = fetch_and_lock(live_engine, TaskType.ORDER_REGISTER, order["order_number"], 30_000, 30, WORKER_ID)
    second_outcome = execute(second)
    live_engine.client.call(
        "POST",
        f"/external-task/{second.id}/complete",
        json={"workerId": WORKER_ID, "variables": encode(second_outcome.variables)},
    )

    assert second.id == first.id and first.process_instance_id == pid and first.element_id == "RegisterOrder"
    assert first.business_key == order["order_number"]
    assert second.variables["orderId"] == order["id"]
    assert (first_outcome.kind, second_outcome.kind) == ("complete", "complete")
    assert second_outcome.variables == first_outcome.variables
    assert first_outcome.variables["orderNumber"] == order["order_number"]
    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.status == OrderStatus.REGISTERED
        assert len(s.scalars(select(ProcessedTask).where(ProcessedTask.task_id == first.id)).all()) == 1
        registered = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "order",
                AuditEntry.entity_id == str(order["id"]),
                AuditEntry.action == "order.registered",
            )
        ).all()
        assert len(registered) == 1

    history = live_engine.history
    opened = history.wait_for(
        lambda: len(history.open_user_tasks(pid)) == 3 and history.open_user_tasks(pid), 30, "the review user tasks"
    )
    assert {t.element_id for t in opened} == {
        "ReviewProductionCapacity",
        "ReviewMaterialSupply",
        "ReviewInstallationCapacity",
    }
    assert history.variable(pid, "orderNumber") == order["order_number"]
