"""doorflow.acceptance.record — one acceptance round; a passed one gets the acceptance certificate."""

from __future__ import annotations

from typing import Any

from models.fulfilment import service
from workers.parse import opt_str, yes_no
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.ACCEPTANCE_RECORD


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    result = service.AcceptanceResult(
        passed=yes_no(variables, "acceptancePassed"),
        defects=opt_str(variables, "acceptanceDefects"),
        accepted_by=opt_str(variables, "acceptedBy"),
        rework_note=opt_str(variables, "reworkNote"),
    )
    acceptance = service.record_acceptance(
        ctx.session, require_int(variables, "orderId"), result, seller=ctx.settings.company_name, actor=ctx.actor
    )
    return {"acceptanceRound": acceptance.round, "certificateDocumentId": acceptance.certificate_document_id}
