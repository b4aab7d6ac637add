"""doorflow.production.stock_in — incoming inspection passed: record it, put the goods into stock for the order."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.parse import req_str
from workers.registry import TaskType
from workers.runtime import TaskContext

TASK_TYPE = TaskType.PRODUCTION_STOCK_IN


def business_key(variables: dict[str, Any]) -> str:
    return f"po:{variables.get('purchaseOrderNumber')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.accept_goods(ctx.session, req_str(variables, "purchaseOrderNumber"), actor=ctx.actor)
    return {}
