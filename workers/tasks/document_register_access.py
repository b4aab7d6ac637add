"""doorflow.document.register-access — keep a request to read a confidential document (document-access.bpmn).

Started from Tasklist (the start form gives documentId and accessReason; the engine sets ``initiator``)
or by ``POST /documents/{id}/access-requests`` (the API, as the system user, passes ``requestedBy``).
A request that cannot be kept (no such document, not confidential, no reason) is a business outcome:
the BPMN error ``ACCESS_REQUEST_INVALID`` ends the instance with the Chinese reason.
"""

from __future__ import annotations

from typing import Any

from models.documents import access
from models.errors import DomainError, InvalidInput
from workers.registry import TaskType
from workers.runtime import BusinessError, TaskContext
from workers.tasks.document_vars import whole_number

TASK_TYPE = TaskType.DOCUMENT_REGISTER_ACCESS
INVALID = "ACCESS_REQUEST_INVALID"


def business_key(variables: dict[str, Any]) -> str:
    return f"document:{variables.get('documentId')}"


def requester(ctx: TaskContext, variables: dict[str, Any]) -> str | None:
    """Who asks: the Tasklist user who started the instance; for a start by the system user (the API), the
    requester it names. A staff member starting over REST cannot name someone else."""
    initiator = variables.get("initiator")
    if isinstance(initiator, str) and initiator and initiator != ctx.settings.engine_user:
        return initiator
    named = variables.get("requestedBy")
    return named if isinstance(named, str) and named else None


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    document_id = whole_number(variables, "documentId")
    reason = variables.get("accessReason")
    try:
        who = requester(ctx, variables)
        if who is None:
            raise InvalidInput(("requestedBy",), "查阅申请须注明申请人")
        kept = access.register_request(
            ctx.session,
            document_id=document_id,
            requested_by=who,
            reason=reason if isinstance(reason, str) else "",
            process_instance_id=ctx.process_instance_id,
            policy=access.Policy.from_settings(ctx.settings),
        )
    except DomainError as exc:
        why = exc.message if isinstance(exc, InvalidInput) else str(exc)
        raise BusinessError(INVALID, why, {"refusalReason": why}) from exc
    return {
        "accessRequestId": kept.request.id,
        "requestedBy": kept.request.requested_by,
        "ownerGroup": kept.request.owner_group,
        "documentTitle": kept.document.title,
        "documentCategory": access.CATEGORY_NAMES[kept.document.category.value],
    }
