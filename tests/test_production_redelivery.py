"""A production task the engine hands out twice has one effect (no worker process runs in this module)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.operaton import encode
from models.audit import AuditEntry
from models.db import unit_of_work
from models.jobs import ProcessedTask
from models.orders.schemas import OrderIn
from models.orders.service import OrderLimits, create_order
from models.production.tables import ProductionPlan
from tests.conftest import LiveEngine, make_settings, order_payload
from tests.days import factory_day
from tests.redelivery import fetch_and_lock
from workers.main import make_executor
from workers.registry import TaskType

pytestmark = pytest.mark.engine

WORKER_ID = "test-production-redelivery"


def test_plan_task_delivered_twice_makes_one_plan(
    live_engine: LiveEngine, db_url: str, sessions: sessionmaker[Session]
) -> None:
    # Stored through the service without starting door-order: its register task would wait here with no
    # worker and be picked up by the next module's workers.
    with unit_of_work(sessions) as s:
        stored = create_order(
            s,
            OrderIn.model_validate(order_payload(customer_name="台州重复投递生产测试有限公司")),
            lambda _variables: None,  # type: ignore[arg-type,return-value]
            limits=OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500),
            actor="test",
            today=factory_day(),
        )
        order_id, order_number = stored.id, stored.order_number
    pid = live_engine.client.start_process(
        "door-production", order_number, {"orderId": order_id, "orderNumber": order_number}
    )
    execute = make_executor(sessions, make_settings(db_url, live_engine.cfg.url))

    # A worker runs the task but never reports (it died): the lock runs out and the engine hands the same
    # task out again; the second run finds the first one's record and returns its result unchanged.
    first = fetch_and_lock(live_engine, TaskType.PRODUCTION_PLAN, order_number, 1_000, 30, WORKER_ID)
    first_outcome = execute(first)
    second = fetch_and_lock(live_engine, TaskType.PRODUCTION_PLAN, order_number, 30_000, 30, WORKER_ID)
    second_outcome = execute(second)
    live_engine.client.call(
        "POST",
        f"/external-task/{second.id}/complete",
        json={"workerId": WORKER_ID, "variables": encode(second_outcome.variables)},
    )

    assert second.id == first.id and first.process_instance_id == pid
    assert (first_outcome.kind, second_outcome.kind) == ("complete", "complete")
    assert second_outcome.variables == first_outcome.variables
    assert first_outcome.variables["planVersion"] == 1 and first_outcome.variables["stageCount"] == 5
    with sessions() as s:
        plans = s.scalars(select(ProductionPlan).where(ProductionPlan.order_id == order_id)).all()
        assert [p.version for p in plans] == [1]
        assert len(plans[0].stages) == 5
        assert len(s.scalars(select(ProcessedTask).where(ProcessedTask.task_id == first.id)).all()) == 1
        created = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "production_plan", AuditEntry.entity_id == str(plans[0].id))
        ).all()
        assert [a.action for a in created] == ["production_plan.created"]

    history = live_engine.history
    task = history.wait_for(lambda: history.open_user_tasks(pid), 30, "the review task after the completed task")[0]
    assert task.element_id == "ReviewPlan" and task.candidate_groups == ["technical"]
    assert history.variable(pid, "stageCount") == 5 and history.variable(pid, "planId") == plans[0].id
