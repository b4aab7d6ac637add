"""doorflow.order.record-price-decision — who had to approve the price, and what they decided."""

from __future__ import annotations

from typing import Any

from models.orders import service
from models.orders.tables import PriceDecision
from workers.parse import opt_str, req_str
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int

TASK_TYPE = TaskType.ORDER_RECORD_PRICE_DECISION


def business_key(variables: dict[str, Any]) -> str:
    return f"price-approval:{require_int(variables, 'priceApprovalId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    group = req_str(variables, "approverGroup")
    approved: bool | None = None
    if group != "none":
        decision = variables.get("priceDecision")
        if decision not in ("approved", "refused"):
            raise BadJobData(f"variable 'priceDecision' must be 'approved' or 'refused', got {decision!r}")
        approved = decision == "approved"
    approval = service.record_price_decision(
        ctx.session,
        require_int(variables, "priceApprovalId"),
        approver_group=group,
        approved=approved,
        comment=opt_str(variables, "priceComment"),
        decided_by=opt_str(variables, "priceApprovedBy"),
        actor=ctx.actor,
    )
    return {"priceAccepted": approval.decision != PriceDecision.REFUSED}
