"""doorflow.change.reject — close a change request unapplied; the order stays as it was."""

from __future__ import annotations

from typing import Any

from models.changes import service
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks.change_vars import business_key, change_id, optional_flag, text

TASK_TYPE = TaskType.CHANGE_REJECT
__all__ = ["TASK_TYPE", "business_key", "handle"]


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.reject_change(
        ctx.session,
        change_id(variables),
        customer_approved=optional_flag(variables, "changeCustomerApproved"),
        customer_note=text(variables, "changeCustomerNote"),
        actor=ctx.actor,
    )
