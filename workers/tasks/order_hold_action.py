"""doorflow.order.hold-action — a sales manager's hold, resume or cancellation from Tasklist (order-hold.bpmn).

The same services as the API's ``/orders/{id}/hold|resume|cancel``. A refusal (order completed,
cancelled, not on hold …) is a business outcome: the BPMN error ``ORDER_ACTION_REFUSED`` brings
the Chinese reason back to the sales manager as a task, and nothing is changed.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

from doorflow.operaton import OperatonClient
from models.errors import DomainError, InvalidInput
from models.orders import hold
from workers.registry import TaskType
from workers.runtime import BadJobData, BusinessError, TaskContext

TASK_TYPE = TaskType.ORDER_HOLD_ACTION
REFUSED = "ORDER_ACTION_REFUSED"


def business_key(variables: dict[str, Any]) -> str:
    return f"order-number:{variables.get('orderNumber')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    number, action, reason = (variables.get(k) for k in ("orderNumber", "holdAction", "holdReason"))
    if action not in hold.ACTIONS:
        raise BadJobData(f"variable 'holdAction' must be one of {', '.join(hold.ACTIONS)}, got {action!r}")
    actor = str(variables.get("initiator") or ctx.actor)
    settings = ctx.settings
    loc = ("holdReason",)
    ttl = settings.order_message_ttl_s
    try:
        if not isinstance(number, str) or not number.strip():
            raise InvalidInput(("orderNumber",), "必须填写订单编号")
        order_id = hold.order_id_by_number(ctx.session, number)
        text = reason if isinstance(reason, str) else None
        with closing(OperatonClient(settings.engine_url, settings.engine_user, settings.engine_password)) as engine:
            if action == "hold":
                order = hold.hold_order(ctx.session, order_id, text, engine, actor=actor, loc=loc)
            elif action == "resume":
                order = hold.resume_order(ctx.session, order_id, text, engine, actor=actor, loc=loc, message_ttl_s=ttl)
            else:
                order = hold.cancel_order(ctx.session, order_id, text, engine, actor=actor, loc=loc, message_ttl_s=ttl)
    except DomainError as exc:
        why = exc.message if isinstance(exc, InvalidInput) else str(exc)
        raise BusinessError(REFUSED, why, {"refusalReason": why}) from exc
    return {"orderId": order.id, "orderStatus": hold.STATUS_CN[order.status]}
