"""doorflow.production.record_review — store the technical department's verdict on a plan."""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.parse import choice, opt_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_RECORD_REVIEW


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    decision = choice(variables, "planDecision", ("approved", "rejected"))
    service.record_review(
        ctx.session,
        require_int(variables, "planId"),
        decision == "approved",
        opt_str(variables, "planReviewComments"),
        actor=ctx.actor,
    )
    return {}
