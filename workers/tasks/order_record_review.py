"""doorflow.order.record-review — store the three departments' review answers of one round."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from models.orders import service
from workers.parse import opt_date, opt_str, req_datetime, yes_no
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.ORDER_RECORD_REVIEW


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def _answer(variables: dict[str, Any], dept: str) -> service.DepartmentAnswer:
    return service.DepartmentAnswer(
        ok=yes_no(variables, f"{dept}Ok"),
        earliest_date=opt_date(variables, f"{dept}EarliestDate"),
        comment=opt_str(variables, f"{dept}Comment"),
    )


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    answers = service.ReviewAnswers(
        production=_answer(variables, "production"),
        material=_answer(variables, "material"),
        installation=_answer(variables, "installation"),
    )
    # reviewedAt is the engine's now() (input mapping), so a moved engine clock moves it too; the review
    # day is the factory's calendar day of that moment, never the JVM's or the worker's zone.
    reviewed_at = req_datetime(variables, "reviewedAt")
    review = service.record_review(
        ctx.session,
        require_int(variables, "orderId"),
        answers,
        review_date=reviewed_at.astimezone(ZoneInfo(ctx.settings.factory_timezone)).date(),
        actor=ctx.actor,
    )
    return {
        "reviewId": review.id,
        "leadTimeDays": review.lead_time_days,
        "targetDeliveryDate": review.target_date.isoformat(),
    }
