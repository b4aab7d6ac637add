"""doorflow.production.return_reorder — incoming inspection failed: return the goods and order again."""

from __future__ import annotations

from typing import Any

from models.clock import factory_today
from models.production import service
from workers.parse import opt_str, req_str
from workers.registry import TaskType
from workers.runtime import BusinessError, TaskContext

TASK_TYPE = TaskType.PRODUCTION_RETURN_REORDER


def business_key(variables: dict[str, Any]) -> str:
    return f"po:{variables.get('purchaseOrderNumber')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    try:
        return service.return_and_reorder(
            ctx.session,
            req_str(variables, "purchaseOrderNumber"),
            opt_str(variables, "incomingFailCause"),
            service.supplier_policy(ctx.settings),
            actor=ctx.actor,
            today=factory_today(ctx.settings.factory_timezone),
            remedy_note=opt_str(variables, "supplierRemedyNote"),
        )
    except service.NoQualifiedSupplier as exc:
        # Every candidate is disqualified: purchasing's task 处理无可用供应商, not an incident.
        raise BusinessError("NO_QUALIFIED_SUPPLIER", str(exc), {"noSupplierReason": exc.reason}) from exc
