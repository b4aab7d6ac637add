"""doorflow.production.record_final_inspection — store the finished goods' inspection and its cause."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.parse import choice, opt_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_RECORD_FINAL_INSPECTION


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.record_final_inspection(
        ctx.session,
        require_int(variables, "planId"),
        choice(variables, "finalResult", ("passed", "failed")) == "passed",
        opt_str(variables, "finalFailCause"),
        opt_str(variables, "reworkNote"),
        actor=ctx.actor,
    )
