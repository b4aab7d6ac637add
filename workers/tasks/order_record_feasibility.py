"""doorflow.order.record-feasibility — keep the feasibility table's verdict with its review round."""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.parse import opt_str
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int

TASK_TYPE = TaskType.ORDER_RECORD_FEASIBILITY


def business_key(variables: dict[str, Any]) -> str:
    return f"review:{require_int(variables, 'reviewId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    # The business rule task maps the decision's two outputs to feasible and feasibilityReason.
    feasible = variables.get("feasible")
    if not isinstance(feasible, bool):
        raise BadJobData(f"variable 'feasible' must be the order-feasibility decision (true/false), got {feasible!r}")
    reason = opt_str(variables, "feasibilityReason") or ""
    service.record_feasibility(ctx.session, require_int(variables, "reviewId"), feasible, reason, actor=ctx.actor)
    return {}
