"""doorflow.aftersales.record_contact — store the first contact (engine time) and whether it solved the problem."""

from __future__ import annotations

from typing import Any

from models.aftersales import service
from workers.parse import req_str
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks.aftersales_vars import engine_time, key, optional_bool, ticket_id

TASK_TYPE = TaskType.AFTERSALES_RECORD_CONTACT


def business_key(variables: dict[str, Any]) -> str:
    return key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.record_first_contact(
        ctx.session,
        ticket_id(variables),
        reached=optional_bool(variables, "customerReached"),
        solution=req_str(variables, "initialSolution"),
        solved=optional_bool(variables, "solvedAtFirstContact"),
        engine_now=engine_time(variables),
        actor=ctx.actor,
    )
