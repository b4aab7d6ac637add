"""doorflow.installation.plan — store the confirmed schedule and issue the installation plan."""

from __future__ import annotations

from typing import Any

from models.installation import service
from workers.parse import req_date, req_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.INSTALLATION_PLAN


def business_key(variables: dict[str, Any]) -> str:
    return f"installation:{require_int(variables, 'installationId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.schedule(
        ctx.session,
        require_int(variables, "installationId"),
        req_date(variables, "installDate"),
        req_str(variables, "installTeam"),
        req_str(variables, "siteAddress"),
        actor=ctx.actor,
    )
