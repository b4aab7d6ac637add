"""doorflow.order.record-review — store the three departments' review answers of one round."""

from __future__ import annotations

from typing import Any

from models.orders import service
from workers.parse import opt_date, opt_str, req_date, yes_no
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
    # reviewDate is the engine's today() (input mapping), so a moved engine clock moves it too.
    review = service.record_review(
        ctx.session,
        require_int(variables, "orderId"),
        answers,
        review_date=req_date(variables, "reviewDate"),
        actor=ctx.actor,
    )
    return {
        "reviewId": review.id,
        "leadTimeDays": review.lead_time_days,
        "targetDeliveryDate": review.target_date.isoformat(),
    }
