"""doorflow.production.record_delay — record a production delay and inform the customer."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from models.production import service
from models.production.schemas import DelayIn
from workers.parse import req_date
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_RECORD_DELAY


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    try:
        data = DelayIn(
            cause=variables.get("delayCause"),
            cause_detail=variables.get("delayCauseDetail"),
            remedy=variables.get("delayRemedy"),
            new_due_date=req_date(variables, "newDueDate"),
            responsibility=variables.get("delayResponsibility"),
        )
    except ValidationError as exc:
        raise BadJobData(f"delay report is incomplete: {exc}") from exc
    return service.record_delay(ctx.session, require_int(variables, "planId"), data, actor=ctx.actor)
