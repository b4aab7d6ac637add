"""doorflow.document.expire-access — the grant's timer fired: reading the confidential document ends."""

from __future__ import annotations

from typing import Any

from models.documents import access
from workers.parse import req_datetime
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks.document_vars import whole_number

TASK_TYPE = TaskType.DOCUMENT_EXPIRE_ACCESS


def business_key(variables: dict[str, Any]) -> str:
    return f"document-access:{variables.get('accessRequestId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    access.expire(
        ctx.session, whole_number(variables, "accessRequestId"), req_datetime(variables, "expiredAt"), ctx.actor
    )
    return {}
