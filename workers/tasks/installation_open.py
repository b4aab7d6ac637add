"""doorflow.installation.open — the order's installation record and what scheduling needs."""

from __future__ import annotations

from typing import Any

from models.installation import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.INSTALLATION_OPEN


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.open_installation(
        ctx.session, require_int(variables, "orderId"), ctx.settings.installation_default_team, actor=ctx.actor
    )
