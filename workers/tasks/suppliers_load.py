"""doorflow.suppliers.load — one supplier's stored evaluation (by run and index): the inputs of DMN supplier-class."""

from __future__ import annotations

from typing import Any

from models.suppliers import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.SUPPLIERS_LOAD


def business_key(variables: dict[str, Any]) -> str:
    return f"run:{require_int(variables, 'evaluationRunId')}:supplier:{require_int(variables, 'supplierIndex')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.load_evaluation(
        ctx.session, require_int(variables, "evaluationRunId"), require_int(variables, "supplierIndex")
    )
