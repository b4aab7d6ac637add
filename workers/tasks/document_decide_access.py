"""doorflow.document.decide-access — the owner group's decision on a request to read a confidential document.

An approval grants reading until the engine's ``now()`` at the decision plus the setting
``document_access_grant_duration``; ``grantExpiresAt`` drives the process's expiry timer.

``accessApprover`` is not typed by anyone: the approval task's complete listener (``fourEyes.recordApprover``
in the engine) sets it to the authenticated user who completed the task, after refusing the requester.
The store refuses a decision by the requester once more (``access.decide``), so this worker fails rather
than record a self-approval.
"""

from __future__ import annotations

from typing import Any

from models.documents import access
from models.errors import Conflict
from workers.parse import choice, opt_str, req_datetime, req_str
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext
from workers.tasks.document_vars import whole_number

TASK_TYPE = TaskType.DOCUMENT_DECIDE_ACCESS


def business_key(variables: dict[str, Any]) -> str:
    return f"document-access:{variables.get('accessRequestId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    decision = choice(variables, "accessDecision", ("approve", "refuse"))
    try:
        request = access.decide(
            ctx.session,
            whole_number(variables, "accessRequestId"),
            approved=decision == "approve",
            decided_by=req_str(variables, "accessApprover"),
            comment=opt_str(variables, "accessComment"),
            decided_at=req_datetime(variables, "decidedAt"),
            grant=access.Policy.from_settings(ctx.settings).grant,
        )
    except Conflict as exc:  # a self-approval got past the engine: an incident at once, nothing recorded
        raise BadJobData(str(exc)) from exc
    granted = request.granted_until is not None and request.status.value in ("approved", "expired")
    return {"accessGranted": granted, "grantExpiresAt": request.granted_until if granted else None}
