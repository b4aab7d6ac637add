"""doorflow.order.record-deposit — the deposit is in: the order goes into production."""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.ORDER_RECORD_DEPOSIT


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.record_deposit(ctx.session, require_int(variables, "orderId"), actor=ctx.actor)
    return {}
