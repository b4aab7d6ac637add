"""doorflow.production.record_final_inspection — store the finished goods' inspection and its cause."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int
from workers.tasks._pi_vars import optional_str, require_choice

TASK_TYPE = TaskType.PRODUCTION_RECORD_FINAL_INSPECTION


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.record_final_inspection(
        ctx.session,
        require_int(variables, "planId"),
        require_choice(variables, "finalResult", ("passed", "failed")) == "passed",
        optional_str(variables, "finalFailCause"),
        optional_str(variables, "reworkNote"),
        actor=ctx.actor,
    )
