"""doorflow.change.assess — store the impact assessment and the change-impact decision."""

from __future__ import annotations

from typing import Any

from models.changes import service
from models.changes.tables import QualityImpact
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext
from workers.tasks.change_vars import business_key, change_id, money, text, whole_number

TASK_TYPE = TaskType.CHANGE_ASSESS
__all__ = ["TASK_TYPE", "business_key", "handle"]


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    try:
        quality = QualityImpact(str(variables.get("changeQualityImpact")))
    except ValueError as exc:
        raise BadJobData(f"changeQualityImpact must be one of {[q.value for q in QualityImpact]}") from exc
    # The business rule task maps the change-impact decision's outputs to changeIsMajor / changeImpactReason.
    major = variables.get("changeIsMajor")
    if not isinstance(major, bool):
        raise BadJobData(f"changeIsMajor must be the change-impact decision (true/false), got {major!r}")
    return service.record_assessment(
        ctx.session,
        change_id(variables),
        schedule_days=whole_number(variables, "changeScheduleDays"),
        quality=quality,
        cost_delta=money(variables, "changeCostDelta"),
        note=text(variables, "changeAssessmentNote"),
        major=major,
        reason=text(variables, "changeImpactReason") or "",
        actor=ctx.actor,
    )
