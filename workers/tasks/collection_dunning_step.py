"""doorflow.collection.take_dunning_step — carry out or record one rung of the dunning ladder."""

from __future__ import annotations

from typing import Any

from models.collection import service
from models.collection.tables import DunningAction
from workers.parse import opt_str, req_str
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int
from workers.tasks import collection_common as common

TASK_TYPE = TaskType.COLLECTION_DUNNING_STEP


def business_key(variables: dict[str, Any]) -> str:
    return common.business_key(variables)


def _step(variables: dict[str, Any]) -> service.LadderStep:
    """The DMN row (``dunning-ladder``) the business rule task mapped into the round's local variables."""
    action = variables.get("dunningAction")
    try:
        return service.LadderStep(
            action=DunningAction(str(action)),
            channel=req_str(variables, "dunningChannel"),
            title=req_str(variables, "dunningTitle"),
        )
    except ValueError as exc:
        raise BadJobData(f"variable 'dunningAction' must be one of the ladder's actions, got {action!r}") from exc


def _text(variables: dict[str, Any], name: str) -> str | None:
    """A form answer; anything but text (a Tasklist submission is untyped) counts as not given."""
    value = variables.get(name)
    return opt_str(variables, name) if isinstance(value, str) else None


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    with common.settled_as_bpmn_error():
        return service.take_dunning_step(
            ctx.session,
            common.installment_id(variables),
            require_int(variables, "stepNo"),
            _step(variables),
            reason=_text(variables, "dunningReason"),
            result=_text(variables, "dunningResult"),
            promised_pay_date=_text(variables, "promisedPayDate"),
            visited_person=_text(variables, "visitedPerson"),
            payee=common.payee(ctx.settings),
            mailer=common.mailer(ctx.settings),
            actor=ctx.actor,
        )
