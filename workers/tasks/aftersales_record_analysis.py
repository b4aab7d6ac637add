"""doorflow.aftersales.record_analysis — store the technical analysis and tell the customer the plan."""

from __future__ import annotations

from typing import Any

from models.aftersales import service
from models.aftersales.tables import RepairDecision
from workers.parse import opt_date, req_str
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext
from workers.tasks.aftersales_vars import (
    engine_time,
    key,
    optional_bool,
    ticket_id,
)

TASK_TYPE = TaskType.AFTERSALES_RECORD_ANALYSIS


def business_key(variables: dict[str, Any]) -> str:
    return key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    try:
        decision = RepairDecision(str(variables.get("repairDecision")))
    except ValueError as exc:
        raise BadJobData(f"repairDecision must be repair or replace, got {variables.get('repairDecision')!r}") from exc
    return service.record_analysis(
        ctx.session,
        ticket_id(variables),
        cause=req_str(variables, "cause"),
        decision=decision,
        field_visit_needed=optional_bool(variables, "fieldVisitNeeded"),
        visit_date=opt_date(variables, "visitDate"),
        engine_now=engine_time(variables),
        actor=ctx.actor,
    )
