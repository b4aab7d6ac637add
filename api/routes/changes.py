"""Change requests: the customer asks to change a running order; the order's process handles it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from api.auth import CallerDep
from api.deps import FactoryTodayDep, SessionDep, SettingsDep
from api.idempotency import IDEMPOTENT, IdempotentRoute
from models import outbox
from models.changes import service
from models.changes.schemas import ChangeRequestIn, ChangeRequestOut
from models.orders.service import OrderLimits
from models.types import Id

router = APIRouter(tags=["change requests"], route_class=IdempotentRoute)


@router.post(
    "/orders/{order_id}/change-requests",
    status_code=status.HTTP_201_CREATED,
    dependencies=[IDEMPOTENT],
    summary="Ask for a change to a running order",
    responses={
        404: {"description": "No such order."},
        409: {"description": "The order is accepted, completed or rejected; nothing is stored."},
        422: {"description": "Invalid request; the detail names each bad field. Nothing is stored."},
    },
)
def request_change(
    order_id: Id,
    body: ChangeRequestIn,
    session: SessionDep,
    settings: SettingsDep,
    today: FactoryTodayDep,
    caller: CallerDep,
) -> ChangeRequestOut:
    """Store the request and its wake-up `ChangeRequested` (business key: the order number) in one
    transaction; the outbox delivers it to the order's process, which starts its change subprocess."""
    limits = OrderLimits.from_settings(settings)

    def publish(order_number: str, variables: dict[str, Any], message_id: str) -> None:
        outbox.enqueue(
            session,
            service.MESSAGE_NAME,
            message_id,
            settings.order_message_ttl_s,
            business_key=order_number,
            variables=variables,
        )

    change = service.request_change(session, order_id, body, publish, limits=limits, actor=caller.actor, today=today)
    return ChangeRequestOut.model_validate(change)


@router.get(
    "/orders/{order_id}/change-requests",
    summary="List an order's change requests, oldest first",
    responses={404: {"description": "No such order."}},
)
def list_changes(order_id: Id, session: SessionDep) -> list[ChangeRequestOut]:
    return [ChangeRequestOut.model_validate(c) for c in service.list_changes(session, order_id)]


@router.get(
    "/change-requests/{change_id}",
    summary="Get one change request with its assessment, reviews and outcome",
    responses={404: {"description": "No such change request."}},
)
def get_change(change_id: Id, session: SessionDep) -> ChangeRequestOut:
    return ChangeRequestOut.model_validate(service.get_change(session, change_id))
