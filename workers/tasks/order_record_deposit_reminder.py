"""doorflow.order.record-deposit-reminder — keep how finance reminded the customer of the deposit, and what was said."""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.parse import choice, opt_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.ORDER_RECORD_DEPOSIT_REMINDER


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.record_deposit_reminder(
        ctx.session,
        require_int(variables, "orderId"),
        choice(variables, "depositReminderChannel", service.DEPOSIT_REMINDER_CHANNELS),
        opt_str(variables, "depositReminderNote"),
        actor=ctx.actor,
    )
    return {}
