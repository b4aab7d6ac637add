"""doorflow.production.check_materials — reserve stock for the order and list the shortages."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_CHECK_MATERIALS


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    shortages = service.check_materials(
        ctx.session, require_int(variables, "orderId"), ctx.settings.production_bom, actor=ctx.actor
    )
    return {"shortages": shortages, "shortageCount": len(shortages)}
