"""doorflow.installation.complete — mark the installation complete (acceptance is the order's step)."""

from __future__ import annotations

from typing import Any

from models.installation import service
from workers.parse import opt_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.INSTALLATION_COMPLETE


def business_key(variables: dict[str, Any]) -> str:
    return f"installation:{require_int(variables, 'installationId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.complete(
        ctx.session, require_int(variables, "installationId"), opt_str(variables, "installNote"), actor=ctx.actor
    )
    return {}
