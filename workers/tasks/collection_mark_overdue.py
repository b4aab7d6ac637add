"""doorflow.collection.mark_overdue — the due date passed unpaid: the installment is overdue."""

from __future__ import annotations

from typing import Any

from models.collection import service
from workers.parse import req_datetime
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks import collection_common as common

TASK_TYPE = TaskType.COLLECTION_MARK_OVERDUE


def business_key(variables: dict[str, Any]) -> str:
    return common.business_key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    # Overdue since the round's own overdue time (the local Date its timer waited for), not the worker's clock.
    overdue_at = req_datetime(variables, "overdueAt")
    with common.settled_as_bpmn_error():
        return service.mark_overdue(ctx.session, common.installment_id(variables), overdue_at, actor=ctx.actor)
