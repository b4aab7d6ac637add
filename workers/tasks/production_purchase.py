"""doorflow.production.purchase — order one stored shortage (by plan and index) from the best qualified supplier."""

from __future__ import annotations

from typing import Any

from models.clock import factory_today
from models.production import service
from workers.parse import opt_str
from workers.registry import TaskType
from workers.runtime import BusinessError, TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_PURCHASE


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}:shortage:{require_int(variables, 'shortageIndex')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    try:
        return service.raise_purchase_order(
            ctx.session,
            require_int(variables, "planId"),
            require_int(variables, "shortageIndex"),
            service.supplier_policy(ctx.settings),
            actor=ctx.actor,
            today=factory_today(ctx.settings.factory_timezone),
            remedy_note=opt_str(variables, "supplierRemedyNote"),
        )
    except service.NoQualifiedSupplier as exc:
        # Every candidate is disqualified: purchasing's task 处理无可用供应商, not an incident.
        raise BusinessError("NO_QUALIFIED_SUPPLIER", str(exc), {"noSupplierReason": exc.reason}) from exc
