"""doorflow.order.record-negotiation — a new agreed delivery date, or the customer's refusal."""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.parse import opt_str, req_date
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int

TASK_TYPE = TaskType.ORDER_RECORD_NEGOTIATION


def business_key(variables: dict[str, Any]) -> str:
    return f"review:{require_int(variables, 'reviewId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    outcome = variables.get("negotiationOutcome")
    if outcome not in ("agreed", "rejected"):
        raise BadJobData(f"variable 'negotiationOutcome' must be 'agreed' or 'rejected', got {outcome!r}")
    agreed = req_date(variables, "agreedDeliveryDate") if outcome == "agreed" else None
    order = service.record_negotiation(
        ctx.session,
        require_int(variables, "reviewId"),
        agreed_date=agreed,
        comment=opt_str(variables, "negotiationComment"),
        actor=ctx.actor,
    )
    return {"targetDeliveryDate": order.delivery_date.isoformat()}
