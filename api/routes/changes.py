"""Change requests: the customer asks to change a running order; the order's process handles it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from api.deps import CamundaDep, SessionDep, SettingsDep
from models.changes import service
from models.changes.schemas import ChangeRequestIn, ChangeRequestOut
from models.orders.service import OrderLimits

router = APIRouter(tags=["change requests"])


@router.post(
    "/orders/{order_id}/change-requests",
    status_code=status.HTTP_201_CREATED,
    summary="Ask for a change to a running order",
    responses={
        404: {"description": "No such order."},
        409: {"description": "The order is accepted, completed or rejected; nothing is stored."},
        422: {"description": "Invalid request; the detail names each bad field. Nothing is stored."},
        503: {"description": "The engine is unreachable; nothing is stored, retry later."},
    },
)
def request_change(
    order_id: int, body: ChangeRequestIn, session: SessionDep, camunda: CamundaDep, settings: SettingsDep
) -> ChangeRequestOut:
    """Store the request, then publish `ChangeRequested` (correlation key: the order number) so the
    order's process starts its change subprocess; if publishing fails nothing is kept."""
    limits = OrderLimits.from_settings(settings)

    def publish(order_number: str, variables: dict[str, Any], message_id: str) -> None:
        camunda.publish_message(service.MESSAGE_NAME, order_number, variables, message_id=message_id)

    change = service.request_change(session, order_id, body, publish, limits=limits, actor="api")
    return ChangeRequestOut.model_validate(change)


@router.get(
    "/orders/{order_id}/change-requests",
    summary="List an order's change requests, oldest first",
    responses={404: {"description": "No such order."}},
)
def list_changes(order_id: int, session: SessionDep) -> list[ChangeRequestOut]:
    return [ChangeRequestOut.model_validate(c) for c in service.list_changes(session, order_id)]


@router.get(
    "/change-requests/{change_id}",
    summary="Get one change request with its assessment, reviews and outcome",
    responses={404: {"description": "No such change request."}},
)
def get_change(change_id: int, session: SessionDep) -> ChangeRequestOut:
    return ChangeRequestOut.model_validate(service.get_change(session, change_id))
