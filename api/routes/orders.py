"""Orders: create, get, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.access import OrderView
from api.auth import Caller, CallerDep
from api.deps import EngineDep, FactoryTodayDep, OrderViewDep, SessionDep, SettingsDep
from api.idempotency import IDEMPOTENT, IdempotentRoute
from models.orders import service
from models.orders.schemas import OrderIn, OrderOut
from models.orders.tables import Order
from models.types import Id, Offset

router = APIRouter(prefix="/orders", tags=["orders"], route_class=IdempotentRoute)
HIDDEN_CONTACT = {"customer_phone": None, "customer_email": None, "delivery_address": None}


def shown(order: Order, view: OrderView) -> OrderOut:
    """The order as the caller's role may see it: without the customer's contact where the role needs none."""
    out = OrderOut.model_validate(order)
    return out if view.contact else out.model_copy(update=HIDDEN_CONTACT)


def creator_scope(view: OrderView, caller: Caller) -> str | None:
    """The user whose orders alone the caller sees (itself, for a shop front), or None for every order."""
    return caller.user_id if view.own_only else None


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
    view: OrderViewDep,
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
        created_by=caller.user_id,
    )
    return shown(order, view)


@router.get(
    "/{order_id}",
    summary="Get one order",
    responses={404: {"description": "No such order, or one the caller's role does not see (a shop front: "
                     "orders it did not bring in)."}},
)  # fmt: skip
def get_order(order_id: Id, session: SessionDep, caller: CallerDep, view: OrderViewDep) -> OrderOut:
    return shown(service.get_order(session, order_id, created_by=creator_scope(view, caller)), view)


@router.get("", summary="List orders, newest first (those the caller's role sees)")
def list_orders(
    session: SessionDep,
    caller: CallerDep,
    view: OrderViewDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query(ge=0)] = 0,
) -> list[OrderOut]:
    orders = service.list_orders(session, limit=limit, offset=offset, created_by=creator_scope(view, caller))
    return [shown(o, view) for o in orders]
