"""doorflow.order.check-deposit — is the deposit already paid? Read before waiting for DepositReceived.

The engine does not buffer messages, and the deposit may be paid days before the handover is confirmed
and the process reaches its wait; the stored installment is the fact, the message only the wake-up.
"""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.ORDER_CHECK_DEPOSIT


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return {"depositPaid": service.check_deposit_before_waiting(ctx.session, require_int(variables, "orderId"))}
