"""doorflow.change.apply — update the order in place as a new revision (the instance goes on).

A change with a money effect also amends the contract and re-plans the installments, in the same service call.
"""

from __future__ import annotations

from typing import Any

from models.changes import service
from models.collection.service import WakeUps
from models.contracts.service import terms_from_settings
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks.change_vars import business_key, change_id, optional_flag, text

TASK_TYPE = TaskType.CHANGE_APPLY
__all__ = ["TASK_TYPE", "business_key", "handle"]


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.apply_change(
        ctx.session,
        change_id(variables),
        customer_approved=optional_flag(variables, "changeCustomerApproved"),
        customer_note=text(variables, "changeCustomerNote"),
        terms=terms_from_settings(ctx.settings),
        wake=WakeUps.from_settings(ctx.settings),
        actor=ctx.actor,
    )
