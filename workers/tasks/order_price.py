"""doorflow.order.price — the figures of one pricing round (list total, discount, net total)."""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.parse import opt_decimal
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.ORDER_PRICE


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    approval = service.price_order(
        ctx.session,
        require_int(variables, "orderId"),
        opt_decimal(variables, "requestedDiscountPercent"),
        actor=ctx.actor,
    )
    return {
        "priceApprovalId": approval.id,
        "listTotal": str(approval.list_total),
        "discountPercent": str(approval.discount_percent),
        "netTotal": str(approval.net_total),
    }
