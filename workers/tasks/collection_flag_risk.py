"""doorflow.collection.flag_risk — the ladder is exhausted: flag the customer and hand over to legal."""

from __future__ import annotations

from typing import Any

from models.collection import service
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks import collection_common as common

TASK_TYPE = TaskType.COLLECTION_FLAG_RISK


def business_key(variables: dict[str, Any]) -> str:
    return common.business_key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    with common.settled_as_bpmn_error():
        return service.flag_customer_risk(ctx.session, common.installment_id(variables), actor=ctx.actor)
