"""Zeebe delivers jobs at least once: a job the engine hands out twice has one effect."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient
from pyzeebe import Job, create_insecure_channel
from pyzeebe.grpc_internals.zeebe_adapter import ZeebeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings
from models.audit import AuditEntry
from models.jobs import ProcessedJob
from models.orders.tables import Order, OrderStatus
from tests.conftest import LiveEngine, order_payload
from tests.jobs import activate_job
from workers.main import build_router
from workers.registry import TaskType

pytestmark = pytest.mark.engine


def test_same_job_delivered_twice_has_one_effect(
    api: TestClient, live_engine: LiveEngine, sessions: sessionmaker[Session]
) -> None:
    order = api.post("/orders", json=order_payload(customer_name="宁波重复投递测试有限公司")).json()
    router = build_router(sessions, Settings(database_url="unused"))
    task = next(t for t in router.tasks if t.type == TaskType.ORDER_REGISTER.value)
    handler = task.original_function

    async def scenario() -> tuple[Job, Job, dict[str, object], dict[str, object]]:
        channel = create_insecure_channel(grpc_address=live_engine.cfg.grpc_address)
        adapter = ZeebeAdapter(channel)
        first = await activate_job(
            adapter, TaskType.ORDER_REGISTER, 1_000, lambda j: j.variables.get("orderId") == order["id"]
        )
        first_result = handler(first)
        # Not completed: the engine times the job out and hands the same job out again.
        second = await activate_job(
            adapter, TaskType.ORDER_REGISTER, 30_000, lambda j: j.variables.get("orderId") == order["id"]
        )
        second_result = handler(second)
        await adapter.complete_job(job_key=second.key, variables=second_result)
        await channel.close()
        return first, second, first_result, second_result

    first, second, first_result, second_result = asyncio.run(scenario())

    assert second.key == first.key
    assert second.variables["orderId"] == order["id"]
    assert second_result == first_result
    assert first_result["orderNumber"] == order["order_number"]
    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.status == OrderStatus.REGISTERED
        assert len(s.scalars(select(ProcessedJob).where(ProcessedJob.job_key == first.key)).all()) == 1
        registered = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "order",
                AuditEntry.entity_id == str(order["id"]),
                AuditEntry.action == "order.registered",
            )
        ).all()
        assert len(registered) == 1

    records = live_engine.records
    pik = order["process_instance_key"]
    opened = records.wait_for(
        lambda: len(records.open_user_tasks(pik)) == 3 and records.open_user_tasks(pik), 30, "the review user tasks"
    )
    assert {t.element_id for t in opened} == {
        "ReviewProductionCapacity",
        "ReviewMaterialSupply",
        "ReviewInstallationCapacity",
    }
