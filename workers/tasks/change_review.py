"""doorflow.change.review — store the technical, production and finance reviews of a major change."""

from __future__ import annotations

from typing import Any

from models.changes import service
from models.changes.tables import Department
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext
from workers.tasks.change_vars import business_key, change_id, flag, text

TASK_TYPE = TaskType.CHANGE_REVIEW
__all__ = ["TASK_TYPE", "business_key", "handle"]


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    reviews: dict[Department, tuple[bool, str]] = {}
    for department in Department:
        prefix = f"change{department.value.capitalize()}"
        comment = text(variables, f"{prefix}Comment")
        if comment is None:
            raise BadJobData(f"{prefix}Comment is missing: the {department.value} review has no comment")
        reviews[department] = (flag(variables, f"{prefix}Approved"), comment)
    return service.record_reviews(ctx.session, change_id(variables), reviews, actor=ctx.actor)
