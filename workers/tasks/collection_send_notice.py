"""doorflow.collection.send_notice — render the settlement notice and e-mail it to the customer."""

from __future__ import annotations

from typing import Any

from models.collection import service
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks import collection_common as common

TASK_TYPE = TaskType.COLLECTION_SEND_NOTICE


def business_key(variables: dict[str, Any]) -> str:
    return common.business_key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    with common.settled_as_bpmn_error():
        return service.send_settlement_notice(
            ctx.session,
            common.installment_id(variables),
            payee=common.payee(ctx.settings),
            mailer=common.mailer(ctx.settings),
            actor=ctx.actor,
        )
