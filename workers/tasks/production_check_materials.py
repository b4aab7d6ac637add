"""doorflow.production.check_materials — reserve stock for the plan's order, store the shortages, count them."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_CHECK_MATERIALS


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    # The shortages stay in PostgreSQL (material_shortages, by plan); the purchase multi-instance runs
    # shortageCount instances and each loads its own by loopCounter.
    shortages = service.check_materials(
        ctx.session, require_int(variables, "planId"), ctx.settings.production_bom, actor=ctx.actor
    )
    return {"shortageCount": len(shortages)}
