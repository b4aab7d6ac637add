"""doorflow.order.cancel — the work of a cancellation, inside door-order's event subprocess 订单取消."""

from __future__ import annotations

from typing import Any

from models.orders import hold
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.ORDER_CANCEL


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return hold.complete_cancellation(ctx.session, require_int(variables, "orderId"), actor=ctx.actor)
