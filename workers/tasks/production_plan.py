"""doorflow.production.plan — make the order's (next) production plan and the diagram's due date."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_PLAN


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.create_plan(
        ctx.session, require_int(variables, "orderId"), service.plan_config(ctx.settings), actor=ctx.actor
    )
