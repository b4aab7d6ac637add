"""doorflow.aftersales.escalate — the contact deadline passed: flag the ticket (the contact task stays open)."""

from __future__ import annotations

from typing import Any

from models.aftersales import service
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks.aftersales_vars import engine_time, key, ticket_id

TASK_TYPE = TaskType.AFTERSALES_ESCALATE


def business_key(variables: dict[str, Any]) -> str:
    return key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.escalate(ctx.session, ticket_id(variables), engine_time(variables), actor=ctx.actor)
