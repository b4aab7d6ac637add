"""doorflow.order.register — mark a new order registered and hand its summary to the process.

The settings the diagram's timers and feasibility table use (shortest lead time, deposit reminder, follow-up
delay) are not handed over: the engine reads them from configuration when it uses them (DoorflowSettings).
"""

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
    return service.register_order(ctx.session, order_id, actor=ctx.actor)
