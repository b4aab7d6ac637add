"""doorflow.suppliers.collect — compute and store every supplier's scorecard facts and score for the period."""

from __future__ import annotations

from typing import Any

from models.clock import factory_today
from models.suppliers import service
from workers.registry import TaskType
from workers.runtime import TaskContext

TASK_TYPE = TaskType.SUPPLIERS_COLLECT


def business_key(variables: dict[str, Any]) -> str:
    return "supplier-evaluation"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    return service.start_run(
        ctx.session,
        service.scorecard_config(ctx.settings),
        today=factory_today(ctx.settings.factory_timezone),
        actor=ctx.actor,
        process_instance_id=ctx.process_instance_id,
    )
