"""doorflow.production.load_stage — the stage one instance of the sequential stage multi-instance works on."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_LOAD_STAGE


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}:stage:{require_int(variables, 'stageIndex')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    # stageIndex is the instance's loopCounter (0-based); the result lands in the variables the
    # subprocess declares local, so each instance sees only its own stage.
    return service.load_stage(ctx.session, require_int(variables, "planId"), require_int(variables, "stageIndex"))
