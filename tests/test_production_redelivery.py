"""A production job the engine hands out twice has one effect (no worker process runs in this module)."""

from __future__ import annotations

import asyncio

import pytest
from pyzeebe import Job, create_insecure_channel
from pyzeebe.grpc_internals.zeebe_adapter import ZeebeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings
from models.audit import AuditEntry
from models.db import unit_of_work
from models.jobs import ProcessedJob
from models.orders.schemas import OrderIn
from models.orders.service import OrderLimits, create_order
from models.production.tables import ProductionPlan
from tests.conftest import LiveEngine, order_payload
from tests.jobs import activate_job
from workers.main import build_router
from workers.registry import TaskType

pytestmark = pytest.mark.engine


def test_plan_job_delivered_twice_makes_one_plan(live_engine: LiveEngine, sessions: sessionmaker[Session]) -> None:
    # Stored through the service without starting door-order: its register job would wait here with no
    # worker and be picked up by the next module's redelivery test.
    with unit_of_work(sessions) as s:
        stored = create_order(
            s,
            OrderIn.model_validate(order_payload(customer_name="台州重复投递生产测试有限公司")),
            lambda _variables: None,
            limits=OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500),
            actor="test",
        )
        order = {"id": stored.id, "order_number": stored.order_number}
    pik = live_engine.camunda.create_process_instance(
        "door-production", {"orderId": order["id"], "orderNumber": order["order_number"]}
    )
    router = build_router(sessions, Settings(database_url="unused"))
    handler = next(t for t in router.tasks if t.type == TaskType.PRODUCTION_PLAN.value).original_function

    async def scenario() -> tuple[Job, Job, dict[str, object], dict[str, object]]:
        channel = create_insecure_channel(grpc_address=live_engine.cfg.grpc_address)
        adapter = ZeebeAdapter(channel)
        first = await activate_job(adapter, TaskType.PRODUCTION_PLAN, 1_000, lambda j: j.process_instance_key == pik)
        first_result = handler(first)
        # Not completed: the engine times the job out and hands the same job out again.
        second = await activate_job(adapter, TaskType.PRODUCTION_PLAN, 30_000, lambda j: j.process_instance_key == pik)
        second_result = handler(second)
        await adapter.complete_job(job_key=second.key, variables=second_result)
        await channel.close()
        return first, second, first_result, second_result

    first, second, first_result, second_result = asyncio.run(scenario())

    assert second.key == first.key
    assert second_result == first_result
    assert first_result["planVersion"] == 1
    with sessions() as s:
        plans = s.scalars(select(ProductionPlan).where(ProductionPlan.order_id == order["id"])).all()
        assert [p.version for p in plans] == [1]
        assert len(plans[0].stages) == 5
        assert len(s.scalars(select(ProcessedJob).where(ProcessedJob.job_key == first.key)).all()) == 1
        created = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "production_plan", AuditEntry.entity_id == str(plans[0].id))
        ).all()
        assert [a.action for a in created] == ["production_plan.created"]

    records = live_engine.records
    task = records.wait_for(lambda: records.open_user_tasks(pik), 30, "the review task after the completed job")[0]
    assert task.element_id == "ReviewPlan" and task.candidate_groups == ["technical"]
