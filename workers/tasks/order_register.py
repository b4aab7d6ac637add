"""doorflow.order.register — mark a new order registered and hand its summary to the process."""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.ORDER_REGISTER


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.register_order(ctx.session, require_int(variables, "orderId"), actor=ctx.actor)
