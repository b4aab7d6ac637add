"""doorflow.aftersales.record_supervision — put the supervisor's action on an escalated ticket into its history."""

from __future__ import annotations

from typing import Any

from models.aftersales import service
from workers.parse import req_str
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks.aftersales_vars import engine_time, key, ticket_id

TASK_TYPE = TaskType.AFTERSALES_RECORD_SUPERVISION


def business_key(variables: dict[str, Any]) -> str:
    return key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.record_supervision(
        ctx.session,
        ticket_id(variables),
        note=req_str(variables, "supervisorNote"),
        engine_now=engine_time(variables),
        actor=ctx.actor,
    )
