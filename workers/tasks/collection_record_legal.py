"""doorflow.collection.record_legal_action — keep legal's decision on the overdue installment."""

from __future__ import annotations

from typing import Any

from models.collection import service
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext
from workers.tasks import collection_common as common

TASK_TYPE = TaskType.COLLECTION_RECORD_LEGAL


def business_key(variables: dict[str, Any]) -> str:
    return f"installment:{common.installment_id(variables)}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    measure, comment = variables.get("legalMeasure"), variables.get("legalComment")
    if not isinstance(measure, str) or not isinstance(comment, str) or not comment.strip():
        raise BadJobData(f"legalMeasure and legalComment are required, got {measure!r}, {comment!r}")
    service.record_legal_action(
        ctx.session, common.installment_id(variables), measure, comment.strip(), actor=ctx.actor
    )
    return {}
