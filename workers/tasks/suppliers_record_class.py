"""doorflow.suppliers.record_class — store the class DMN supplier-class decided on the evaluation and the supplier."""

from __future__ import annotations

from typing import Any

from models.clock import now
from models.suppliers import service
from workers.parse import opt_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.SUPPLIERS_RECORD_CLASS


def business_key(variables: dict[str, Any]) -> str:
    return f"evaluation:{require_int(variables, 'evaluationId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.record_class(
        ctx.session,
        require_int(variables, "evaluationId"),
        opt_str(variables, "supplierClass"),
        opt_str(variables, "classReason"),
        actor=ctx.actor,
        now=now(),
    )
    return {}
