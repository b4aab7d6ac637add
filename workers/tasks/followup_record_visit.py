"""doorflow.followup.record-visit — the return visit's satisfaction score; the order is completed."""

from __future__ import annotations

from typing import Any

from models.fulfilment import service
from workers.parse import opt_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int
from workers.tasks.change_vars import whole_number

TASK_TYPE = TaskType.FOLLOWUP_RECORD_VISIT


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.record_visit(
        ctx.session,
        require_int(variables, "orderId"),
        # Tasklist submits a number field untyped (5 or 5.0).
        satisfaction=whole_number(variables, "satisfactionScore"),
        comments=opt_str(variables, "visitComments"),
        visited_by=opt_str(variables, "visitedBy"),
        actor=ctx.actor,
    )
    return {}
