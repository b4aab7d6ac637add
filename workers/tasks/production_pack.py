"""doorflow.production.pack — mark the goods packed and issue the production work order."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_PACK


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.pack(ctx.session, require_int(variables, "planId"), actor=ctx.actor)
