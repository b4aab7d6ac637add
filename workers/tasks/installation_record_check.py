"""doorflow.installation.record_check — store the pre-install check of site and goods."""

from __future__ import annotations

from typing import Any

from models.installation import service
from workers.parse import opt_str, yes_no
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.INSTALLATION_RECORD_CHECK


def business_key(variables: dict[str, Any]) -> str:
    return f"installation:{require_int(variables, 'installationId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.record_check(
        ctx.session,
        require_int(variables, "installationId"),
        yes_no(variables, "siteReady"),
        yes_no(variables, "goodsDamaged"),
        opt_str(variables, "checkNotes"),
        actor=ctx.actor,
    )
    return {}
