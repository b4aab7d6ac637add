"""doorflow.delivery.record-shipment — carrier, tracking number and shipping date; the order is shipped."""

from __future__ import annotations

from typing import Any

from models.fulfilment import service
from workers.parse import req_date, req_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.DELIVERY_RECORD_SHIPMENT


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.record_shipment(
        ctx.session,
        require_int(variables, "orderId"),
        carrier=req_str(variables, "carrier"),
        tracking_number=req_str(variables, "trackingNumber"),
        shipped_on=req_date(variables, "shippedOn"),
        actor=ctx.actor,
    )
    return {}
