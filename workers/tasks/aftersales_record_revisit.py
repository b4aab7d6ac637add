"""doorflow.aftersales.record_revisit — store the revisit and its satisfaction score; the ticket closes."""

from __future__ import annotations

from typing import Any

from models.aftersales import service
from workers.parse import opt_str
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext
from workers.tasks.aftersales_vars import engine_time, key, ticket_id

TASK_TYPE = TaskType.AFTERSALES_RECORD_REVISIT


def business_key(variables: dict[str, Any]) -> str:
    return key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    score = variables.get("satisfactionScore")
    if isinstance(score, bool) or not isinstance(score, int | float) or int(score) != score:
        raise BadJobData(f"satisfactionScore must be a whole number 1-5, got {score!r}")
    return service.record_revisit(
        ctx.session,
        ticket_id(variables),
        score=int(score),
        comments=opt_str(variables, "revisitComments"),
        engine_now=engine_time(variables),
        actor=ctx.actor,
    )
