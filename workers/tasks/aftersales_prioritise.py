"""doorflow.aftersales.prioritise — store the DMN classification and the first-contact deadline.

The business rule task maps the two output columns of ``service-priority`` into ``priority`` and
``contactDeadlineHours``. The deadline counts WALL-CLOCK hours from classification (engine time): a
broken security door does not wait for Monday, the hotline promises "within N hours" to the customer,
and the service team keeps an on-call rota. Working hours would hide exactly the weekend cases that hurt most.
"""

from __future__ import annotations

from typing import Any

from models.aftersales import service
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext
from workers.tasks.aftersales_vars import engine_time, key, ticket_id

TASK_TYPE = TaskType.AFTERSALES_PRIORITISE


def business_key(variables: dict[str, Any]) -> str:
    return key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    priority, hours = variables.get("priority"), variables.get("contactDeadlineHours")
    if not isinstance(priority, str) or not priority:
        raise BadJobData(f"service-priority gave no priority (no rule matched?), got {priority!r}")
    if isinstance(hours, bool) or not isinstance(hours, int | float) or int(hours) != hours:
        raise BadJobData(f"service-priority gave no whole contactDeadlineHours, got {hours!r}")
    # A ticket not visible yet (the API starts the instance just before it commits) raises NotFound,
    # which the runtime retries with back-off.
    return service.record_priority(
        ctx.session,
        ticket_id(variables),
        priority,
        int(hours),
        engine_time(variables),
        actor=ctx.actor,
    )
