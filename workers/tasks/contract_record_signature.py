"""doorflow.contract.record-signature — the customer signed: contract and order signed, payment schedule fixed.

The schedule itself stays in PostgreSQL (the signed contract); payment-collection loads it by ``orderId``.
"""

from __future__ import annotations

from typing import Any

from models.contracts import service
from workers.parse import req_date, req_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.CONTRACT_RECORD_SIGNATURE


def business_key(variables: dict[str, Any]) -> str:
    return f"contract:{require_int(variables, 'contractId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    contract_id = require_int(variables, "contractId")
    service.record_signature(
        ctx.session,
        contract_id,
        signed_on=req_date(variables, "signedOn"),
        signed_by=req_str(variables, "signedBy"),
        terms=service.terms_from_settings(ctx.settings),
        actor=ctx.actor,
    )
    return {"contractNumber": service.get_contract(ctx.session, contract_id).contract_number}
