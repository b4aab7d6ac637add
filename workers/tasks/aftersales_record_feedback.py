"""doorflow.aftersales.record_feedback — count the customer's confirmation round (CustomerFeedback message)."""

from __future__ import annotations

from typing import Any

from models.aftersales import service
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks.aftersales_vars import engine_time, key, require_bool, ticket_id

TASK_TYPE = TaskType.AFTERSALES_RECORD_FEEDBACK


def business_key(variables: dict[str, Any]) -> str:
    return key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.record_feedback(
        ctx.session,
        ticket_id(variables),
        satisfied=require_bool(variables, "satisfied"),
        engine_now=engine_time(variables),
        actor=ctx.actor,
    )
