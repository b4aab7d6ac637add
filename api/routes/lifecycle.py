"""Order lifecycle: the timeline (stored facts plus current steps) and the shipment delivery report."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CallerDep
from api.deps import FactoryTodayDep, HistoryDep, OrderViewDep, SessionDep, SettingsDep
from models import outbox
from models.fulfilment import service as fulfilment
from models.orders import service
from models.orders.schemas import CurrentStep, ShipmentDeliveredIn, TimelineFact, TimelineOut
from models.types import Id

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get(
    "/{order_id}/timeline",
    summary="What happened to an order and where it stands now",
    responses={
        404: {"description": "No such order."},
        503: {"description": "The engine is unreachable, so the current steps are unknown; retry later."},
    },
)
def get_timeline(
    order_id: Id, session: SessionDep, history: HistoryDep, caller: CallerDep, view: OrderViewDep
) -> TimelineOut:
    order = service.get_order(session, order_id, created_by=caller.user_id if view.own_only else None)
    facts = [TimelineFact.model_validate(e, from_attributes=True) for e in service.stored_timeline(session, order_id)]
    steps = None
    if order.process_instance_id is not None:
        steps = [
            CurrentStep.model_validate(s, from_attributes=True)
            for s in history.current_steps(order.process_instance_id)
        ]
    return TimelineOut(
        order_id=order.id, order_number=order.order_number, status=order.status, facts=facts, current_steps=steps
    )


@router.post(
    "/{order_id}/shipment/delivered",
    summary="Report that an order's shipment arrived; the order moves on to installation",
    responses={
        404: {"description": "No such order."},
        409: {"description": "The order has no shipment on its way; nothing is stored."},
        422: {"description": "Bad report (wrong tracking number, date before shipping or in the future)."},
    },
)
def shipment_delivered(
    order_id: Id,
    body: ShipmentDeliveredIn,
    session: SessionDep,
    settings: SettingsDep,
    today: FactoryTodayDep,
    caller: CallerDep,
) -> dict[str, str]:
    shipment = fulfilment.report_delivery(
        session,
        order_id,
        body,
        lambda order: outbox.enqueue(
            session,
            fulfilment.SHIPMENT_DELIVERED,
            f"delivered-{order.order_number}",
            settings.order_message_ttl_s,
            business_key=order.order_number,
            variables={"deliveredOn": body.delivered_on.isoformat()},
        ),
        actor=caller.actor,
        today=today,
    )
    return {"status": "delivered", "tracking_number": shipment.tracking_number}
