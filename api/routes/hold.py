"""Hold, resume and cancel an order with a reason (other systems; sales managers use Tasklist's 订单暂停/恢复/取消).

Each route runs the same service as the Tasklist process's worker, in one transaction; the engine is
called last (suspend or activate the order's process tree), so a refusal or an unreachable engine
leaves nothing changed.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CallerDep
from api.deps import EngineDep, SessionDep, SettingsDep
from models.orders import hold
from models.orders.schemas import OrderActionIn, OrderOut
from models.types import Id

router = APIRouter(prefix="/orders", tags=["orders"])

RESPONSES: dict[int | str, dict[str, str]] = {
    404: {"description": "No such order."},
    409: {"description": "Not possible in the order's state (the detail says why, in Chinese); nothing changed."},
    422: {"description": "No reason given; the detail names the field."},
    503: {"description": "The engine is unreachable; nothing changed. Retry later."},
}


@router.post("/{order_id}/hold", summary="Put an order on hold: its process tree is suspended", responses=RESPONSES)
def hold_order(
    order_id: Id, body: OrderActionIn, session: SessionDep, engine: EngineDep, caller: CallerDep
) -> OrderOut:
    order = hold.hold_order(session, order_id, body.reason, engine, actor=caller.actor, loc=("body", "reason"))
    return OrderOut.model_validate(order)


@router.post("/{order_id}/resume", summary="Resume a held order where it stopped", responses=RESPONSES)
def resume_order(
    order_id: Id,
    body: OrderActionIn,
    session: SessionDep,
    engine: EngineDep,
    settings: SettingsDep,
    caller: CallerDep,
) -> OrderOut:
    order = hold.resume_order(
        session,
        order_id,
        body.reason,
        engine,
        actor=caller.actor,
        loc=("body", "reason"),
        message_ttl_s=settings.order_message_ttl_s,
    )
    return OrderOut.model_validate(order)


@router.post(
    "/{order_id}/cancel",
    summary="Cancel an order: its process ends through 订单取消 (production stopped, collection settled)",
    responses=RESPONSES,
)
def cancel_order(
    order_id: Id,
    body: OrderActionIn,
    session: SessionDep,
    engine: EngineDep,
    settings: SettingsDep,
    caller: CallerDep,
) -> OrderOut:
    order = hold.cancel_order(
        session,
        order_id,
        body.reason,
        engine,
        actor=caller.actor,
        loc=("body", "reason"),
        message_ttl_s=settings.order_message_ttl_s,
    )
    return OrderOut.model_validate(order)
