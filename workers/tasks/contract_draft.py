"""doorflow.contract.draft — render the next version of the sales contract from the template."""

from __future__ import annotations

from typing import Any

from models.contracts import service
from workers.parse import opt_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.CONTRACT_DRAFT


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    version = service.draft_contract(
        ctx.session,
        require_int(variables, "orderId"),
        service.terms_from_settings(ctx.settings),
        revision_note=opt_str(variables, "contractRevisionNote"),
        actor=ctx.actor,
    )
    return {
        "contractId": version.contract.id,
        "contractNumber": version.contract.contract_number,
        "contractVersion": version.version,
        "contractDocumentId": version.document_id,
    }
