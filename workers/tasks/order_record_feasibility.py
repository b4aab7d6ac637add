"""doorflow.order.record-feasibility — keep the feasibility table's verdict with its review round."""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int

TASK_TYPE = TaskType.ORDER_RECORD_FEASIBILITY


def business_key(variables: dict[str, Any]) -> str:
    return f"review:{require_int(variables, 'reviewId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    result = variables.get("feasibility")
    if not isinstance(result, dict) or not isinstance(result.get("feasible"), bool):
        raise BadJobData(f"variable 'feasibility' must be the decision result {{feasible, reason}}, got {result!r}")
    reason = str(result.get("reason") or "")
    service.record_feasibility(
        ctx.session, require_int(variables, "reviewId"), result["feasible"], reason, actor=ctx.actor
    )
    return {"feasible": result["feasible"], "feasibilityReason": reason}
