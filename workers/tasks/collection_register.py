"""doorflow.collection.register_installments — store the contract's payment schedule as installments (once per order).

door-order passes only keys and names; the schedule comes from PostgreSQL (the order's signed contract
and the configured payment clauses). The diagram gets the number of rounds, ``installmentCount``.
"""

from __future__ import annotations

from typing import Any

from models.collection import service
from models.contracts.service import terms_from_settings
from workers.parse import opt_str, req_str
from workers.registry import TaskType
from workers.runtime import TaskContext, require_int

TASK_TYPE = TaskType.COLLECTION_REGISTER


def business_key(variables: dict[str, Any]) -> str:
    return f"order:{require_int(variables, 'orderId')}"


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    order_id = require_int(variables, "orderId")
    # No signed contract, or a term that cannot be collected: InvalidInput, an incident at once.
    schedule = service.contract_schedule(ctx.session, order_id, terms_from_settings(ctx.settings))
    # A second collection of the same order is refused by the service (InvalidInput: an incident at once).
    return service.register_installments(
        ctx.session,
        order_id=order_id,
        order_number=req_str(variables, "orderNumber"),
        schedule=schedule,
        contract_number=opt_str(variables, "contractNumber"),
        customer_name=req_str(variables, "customerName"),
        customer_email=opt_str(variables, "customerEmail"),
        actor=ctx.actor,
        process_instance_id=ctx.process_instance_id,
    )
