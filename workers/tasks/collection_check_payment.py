"""doorflow.collection.check_payment — after PaymentReceived: paid in full ends the installment's round."""

from __future__ import annotations

from typing import Any

from models.collection import service
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks import collection_common as common

TASK_TYPE = TaskType.COLLECTION_CHECK_PAYMENT


def business_key(variables: dict[str, Any]) -> str:
    return common.business_key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    # The amounts come from PostgreSQL, never from the message: a repeated message cannot pay twice.
    with common.settled_as_bpmn_error():
        service.check_settled(ctx.session, common.installment_id(variables))
    return {}
