"""doorflow.change.load — read a change request into the subprocess so the forms can show it."""

from __future__ import annotations

from typing import Any

from models.changes import service
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks.change_vars import business_key, change_id

TASK_TYPE = TaskType.CHANGE_LOAD
__all__ = ["TASK_TYPE", "business_key", "handle"]


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.load_change(ctx.session, change_id(variables))
