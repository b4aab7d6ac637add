"""doorflow.installation.request_replacement — register replacement goods for damaged ones."""

from __future__ import annotations

from typing import Any

from models.installation import service
from workers.parse import opt_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.INSTALLATION_REQUEST_REPLACEMENT


def business_key(variables: dict[str, Any]) -> str:
    return f"installation:{require_int(variables, 'installationId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.request_replacement(
        ctx.session, require_int(variables, "installationId"), opt_str(variables, "checkNotes"), actor=ctx.actor
    )
