"""doorflow.production.record_progress — store a stage's progress report."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.parse import opt_decimal, opt_str, yes_no
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_RECORD_PROGRESS


def business_key(variables: dict[str, Any]) -> str:
    return f"stage:{require_int(variables, 'stageId')}"


def _percent(variables: dict[str, Any]) -> int:
    """Tasklist submits the number field untyped: 60, 60.0 or "60" all mean 60 %."""
    value = opt_decimal(variables, "progressPercent")
    if value is None or value != value.to_integral_value():
        raise BadJobData(f"variable 'progressPercent' must be a whole number, got {variables.get('progressPercent')!r}")
    return int(value)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.record_progress(
        ctx.session,
        require_int(variables, "stageId"),
        _percent(variables),
        opt_str(variables, "progressNote"),
        yes_no(variables, "stageCompleted"),
        actor=ctx.actor,
    )
    return {}
