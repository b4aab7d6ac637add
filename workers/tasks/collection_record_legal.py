"""doorflow.collection.record_legal_action — keep legal's decision on the overdue installment."""

from __future__ import annotations

from typing import Any

from models.collection import service
from workers.parse import req_str
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks import collection_common as common

TASK_TYPE = TaskType.COLLECTION_RECORD_LEGAL


def business_key(variables: dict[str, Any]) -> str:
    return common.business_key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    service.record_legal_action(
        ctx.session,
        common.installment_id(variables),
        req_str(variables, "legalMeasure"),
        req_str(variables, "legalComment"),
        actor=ctx.actor,
    )
    return {}
