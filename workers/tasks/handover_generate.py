"""doorflow.handover.generate — the order handover sheet (订单交接单) for project, customer service, finance."""

from __future__ import annotations

from typing import Any

from models.fulfilment import service
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.HANDOVER_GENERATE


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    sheet = service.generate_handover(ctx.session, require_int(variables, "orderId"), actor=ctx.actor)
    return {
        "handoverSheetId": sheet.id,
        "handoverDocumentId": sheet.document_id,
        "specialItemCount": len(sheet.special_items),
    }
