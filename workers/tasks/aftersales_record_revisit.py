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


def _score(value: object) -> int:
    """Tasklist submits the number field untyped: Long, Integer, Double or even text."""
    if isinstance(value, str):
        value = value.strip()
        if value.isdigit():
            return int(value)
    elif not isinstance(value, bool) and isinstance(value, int | float) and int(value) == value:
        return int(value)
    raise BadJobData(f"satisfactionScore must be a whole number 1-5, got {value!r}")


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.record_revisit(
        ctx.session,
        ticket_id(variables),
        score=_score(variables.get("satisfactionScore")),
        comments=opt_str(variables, "revisitComments"),
        engine_now=engine_time(variables),
        actor=ctx.actor,
    )
