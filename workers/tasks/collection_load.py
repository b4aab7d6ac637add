"""doorflow.collection.load_installment — the first step of each round: its installment into local variables.

The multi-instance body runs ``installmentCount`` rounds; round ``loopCounter`` (0-based) collects the
order's installment no. ``loopCounter + 1``. What it returns lands in the variables the round's
subprocess declares locally (installmentId, installmentKey, amount, dueDate, noticeAt, overdueAt …), so
the rounds do not see each other's values and PaymentReceived finds its round by ``installmentKey``.
"""

from __future__ import annotations

from typing import Any

from models.collection import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int
from workers.tasks import collection_common as common

TASK_TYPE = TaskType.COLLECTION_LOAD


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}:installment-index:{require_int(variables, 'loopCounter')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    # Paid already (a payment reported before this round started): the round ends through its error boundary.
    with common.settled_as_bpmn_error():
        return service.load_installment(
            ctx.session,
            require_int(variables, "orderId"),
            require_int(variables, "loopCounter"),
            service.Schedule.from_settings(ctx.settings),
        )
