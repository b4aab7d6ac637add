"""doorflow.collection.register_installments — store the payment schedule as installments (once per order)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from models.collection import service
from models.collection.schemas import ScheduleItem
from workers.parse import opt_str, req_str
from workers.registry import TaskType
from workers.runtime import BadJobData, TaskContext, require_int

TASK_TYPE = TaskType.COLLECTION_REGISTER
_SCHEDULE = TypeAdapter(list[ScheduleItem])


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    try:
        schedule = _SCHEDULE.validate_python(variables.get("paymentSchedule"))
    except ValidationError as exc:
        raise BadJobData(f"variable 'paymentSchedule' is invalid: {exc}") from exc
    # A second collection of the same order is refused by the service (InvalidInput: an incident at once).
    return service.register_installments(
        ctx.session,
        order_id=require_int(variables, "orderId"),
        order_number=req_str(variables, "orderNumber"),
        schedule=schedule,
        contract_number=opt_str(variables, "contractNumber"),
        customer_name=req_str(variables, "customerName"),
        customer_email=opt_str(variables, "customerEmail"),
        timing=service.Schedule.from_settings(ctx.settings),
        actor=ctx.actor,
        process_instance_key=ctx.process_instance_key,
    )
