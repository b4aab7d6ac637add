"""doorflow.order.register — mark a new order registered and hand its summary and settings to the process."""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.ORDER_REGISTER


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    order_id = require_int(variables, "orderId")
    # An order not visible yet raises NotFound, which the runtime retries with back-off: the API starts
    # the instance just before its transaction commits, so the job can outrun the row.
    summary = service.register_order(ctx.session, order_id, actor=ctx.actor)
    # The diagram's timers and the feasibility table read these; they come from Settings, never the diagram.
    return {
        **summary,
        "minLeadTimeDays": ctx.settings.order_min_lead_time_days,
        "depositReminderAfter": ctx.settings.deposit_reminder_after,
        "followUpDelay": ctx.settings.follow_up_delay,
    }
