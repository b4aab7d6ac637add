"""Orders: create, get, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth import CallerDep
from api.deps import EngineDep, FactoryTodayDep, SessionDep, SettingsDep
from api.idempotency import IDEMPOTENT, IdempotentRoute
from models.orders import service
from models.orders.schemas import OrderIn, OrderOut
from models.types import Id, Offset

router = APIRouter(prefix="/orders", tags=["orders"], route_class=IdempotentRoute)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[IDEMPOTENT],
    summary="Receive an order and start its lifecycle",
    responses={
        422: {"description": "Invalid order; the detail names each bad field. Nothing is stored."},
        503: {"description": "The engine is unreachable; the order is not stored, retry later."},
    },
)
def create_order(
    body: OrderIn,
    session: SessionDep,
    engine: EngineDep,
    settings: SettingsDep,
    today: FactoryTodayDep,
    caller: CallerDep,
) -> OrderOut:
    """Validate, store and start the order's process in one unit: if the start fails nothing is kept."""
    limits = service.OrderLimits.from_settings(settings)
    order = service.create_order(
        session,
        body,
        lambda variables: engine.start_process(service.PROCESS_ID, str(variables["orderNumber"]), variables),
        limits=limits,
        actor=caller.actor,
        today=today,
    )
    return OrderOut.model_validate(order)


@router.get("/{order_id}", summary="Get one order", responses={404: {"description": "No such order."}})
def get_order(order_id: Id, session: SessionDep) -> OrderOut:
    return OrderOut.model_validate(service.get_order(session, order_id))


@router.get("", summary="List orders, newest first")
def list_orders(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query(ge=0)] = 0,
) -> list[OrderOut]:
    return [OrderOut.model_validate(o) for o in service.list_orders(session, limit=limit, offset=offset)]
