"""doorflow.handover.record-confirmations — who confirmed the handover sheet, and when, per department."""

from __future__ import annotations

from typing import Any

from models.fulfilment import service
from workers.parse import opt_str, req_datetime, req_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.HANDOVER_RECORD_CONFIRMATIONS

# Candidate group → prefix of the variables its confirmation form and output mapping set.
PREFIXES = {"project": "project", "customer-service": "customerService", "finance": "finance"}


def business_key(variables: dict[str, Any]) -> str:
    return f"handover:{require_int(variables, 'handoverSheetId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    confirmations = [
        service.Confirmation(
            department=dept,
            confirmed_by=req_str(variables, f"{prefix}ConfirmedBy"),
            confirmed_at=req_datetime(variables, f"{prefix}ConfirmedAt"),
            comment=opt_str(variables, f"{prefix}ConfirmComment"),
        )
        for dept, prefix in PREFIXES.items()
    ]
    service.record_handover_confirmations(
        ctx.session, require_int(variables, "handoverSheetId"), confirmations, actor=ctx.actor
    )
    return {}
