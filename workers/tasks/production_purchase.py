"""doorflow.production.purchase — order one shortage from the best qualified supplier."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_PURCHASE


def business_key(variables: dict[str, Any]) -> str:
    shortage = variables.get("shortage")
    code = shortage.get("materialCode") if isinstance(shortage, dict) else None
    return f"order:{require_int(variables, 'orderId')}:{code}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    shortage = variables.get("shortage")
    if not isinstance(shortage, dict):
        raise BadJobData(f"variable 'shortage' must be an object, got {shortage!r}")
    return service.raise_purchase_order(
        ctx.session, require_int(variables, "orderId"), shortage, service.supplier_policy(ctx.settings), actor=ctx.actor
    )
