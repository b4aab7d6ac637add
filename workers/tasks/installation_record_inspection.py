"""doorflow.installation.record_inspection — store the installation inspection and its cause."""

from __future__ import annotations

from typing import Any

from models.installation import service
from workers.parse import choice, opt_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.INSTALLATION_RECORD_INSPECTION


def business_key(variables: dict[str, Any]) -> str:
    return f"installation:{require_int(variables, 'installationId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.record_inspection(
        ctx.session,
        require_int(variables, "installationId"),
        choice(variables, "installResult", ("passed", "failed")) == "passed",
        opt_str(variables, "installFailCause"),
        opt_str(variables, "fixNote"),
        actor=ctx.actor,
    )
