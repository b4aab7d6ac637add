"""doorflow.collection.register_installments — store the payment schedule as installments (once per order)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from models.collection import service
from models.collection.schemas import ScheduleItem
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int

TASK_TYPE = TaskType.COLLECTION_REGISTER
_SCHEDULE = TypeAdapter(list[ScheduleItem])


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def _text(variables: dict[str, Any], name: str, required: bool) -> str | None:
    value = variables.get(name)
    if value is None or value == "":
        if required:
            raise BadJobData(f"variable {name!r} is required")
        return None
    if not isinstance(value, str):
        raise BadJobData(f"variable {name!r} must be a string, got {value!r}")
    return value


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    try:
        schedule = _SCHEDULE.validate_python(variables.get("paymentSchedule"))
    except ValidationError as exc:
        raise BadJobData(f"variable 'paymentSchedule' is invalid: {exc}") from exc
    # A second collection of the same order is refused by the service (InvalidInput: an incident at once).
    return service.register_installments(
        ctx.session,
        order_id=require_int(variables, "orderId"),
        order_number=str(_text(variables, "orderNumber", True)),
        schedule=schedule,
        contract_number=_text(variables, "contractNumber", False),
        customer_name=str(_text(variables, "customerName", True)),
        customer_email=_text(variables, "customerEmail", False),
        timing=service.Schedule.from_settings(ctx.settings),
        actor=ctx.actor,
        process_instance_key=ctx.process_instance_key,
    )
