"""doorflow.production.check_due — at the due time and every interval after: is production really late?"""

from __future__ import annotations

from typing import Any

from models.production import service
from workers.parse import req_datetime, yes_no
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.PRODUCTION_CHECK_DUE


def business_key(variables: dict[str, Any]) -> str:
    return f"plan:{require_int(variables, 'planId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.check_due(
        ctx.session,
        require_int(variables, "planId"),
        req_datetime(variables, "checkedAt"),
        yes_no(variables, "delayReportOpen"),
        service.plan_config(ctx.settings),
        actor=ctx.actor,
    )
