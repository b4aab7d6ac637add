"""doorflow.production.purchase — order one stored shortage (by plan and index) from the best qualified supplier."""

from __future__ import annotations

from typing import Any

from models.clock import factory_today
from models.production import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_PURCHASE


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}:shortage:{require_int(variables, 'shortageIndex')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.raise_purchase_order(
        ctx.session,
        require_int(variables, "planId"),
        require_int(variables, "shortageIndex"),
        service.supplier_policy(ctx.settings),
        actor=ctx.actor,
        today=factory_today(ctx.settings.factory_timezone),
    )
