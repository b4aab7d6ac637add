"""doorflow.production.record_progress — store a stage's progress report."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.parse import opt_str, yes_no
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_RECORD_PROGRESS


def business_key(variables: dict[str, Any]) -> str:
    return f"stage:{require_int(variables, 'stageId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.record_progress(
        ctx.session,
        require_int(variables, "stageId"),
        require_int(variables, "progressPercent"),
        opt_str(variables, "progressNote"),
        yes_no(variables, "stageCompleted"),
        actor=ctx.actor,
    )
    return {}
