"""doorflow.collection.take_dunning_step — carry out or record one rung of the dunning ladder."""

from __future__ import annotations

from typing import Any

from models.collection import service
from models.collection.tables import DunningAction
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int
from workers.tasks import collection_common as common

TASK_TYPE = TaskType.COLLECTION_DUNNING_STEP


def business_key(variables: dict[str, Any]) -> str:
    return f"installment:{common.installment_id(variables)}"


def _step(variables: dict[str, Any]) -> service.LadderStep:
    """The DMN row (``dunning-ladder``) the business rule task put into ``dunningStep``."""
    row = variables.get("dunningStep")
    if not isinstance(row, dict):
        raise BadJobData(f"variable 'dunningStep' must be a DMN result object, got {row!r}")
    try:
        return service.LadderStep(
            action=DunningAction(str(row.get("action"))), channel=str(row["channel"]), title=str(row["title"])
        )
    except (KeyError, ValueError) as exc:
        raise BadJobData(f"variable 'dunningStep' is incomplete: {row!r}") from exc


def _optional_text(variables: dict[str, Any], name: str) -> str | None:
    value = variables.get(name)
    return value if isinstance(value, str) else None


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    with common.settled_as_bpmn_error():
        return service.take_dunning_step(
            ctx.session,
            common.installment_id(variables),
            require_int(variables, "stepNo"),
            _step(variables),
            reason=_optional_text(variables, "dunningReason"),
            result=_optional_text(variables, "dunningResult"),
            promised_pay_date=_optional_text(variables, "promisedPayDate"),
            visited_person=_optional_text(variables, "visitedPerson"),
            payee=common.payee(ctx.settings),
            mailer=common.mailer(ctx.settings),
            actor=ctx.actor,
        )
