"""doorflow.contract.record-legal-review — legal's decision and comments on the current version."""

from __future__ import annotations

from typing import Any

from models.contracts import service
from workers.parse import opt_str, yes_no
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.CONTRACT_RECORD_LEGAL_REVIEW


def business_key(variables: dict[str, Any]) -> str:
    return f"contract:{require_int(variables, 'contractId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    approved = yes_no(variables, "legalDecision", yes="approved", no="rejected")
    service.record_legal_review(
        ctx.session,
        require_int(variables, "contractId"),
        approved=approved,
        comments=opt_str(variables, "legalComments"),
        reviewer=opt_str(variables, "legalReviewer"),
        actor=ctx.actor,
    )
    return {"legalApproved": approved}
