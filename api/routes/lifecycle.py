"""Order lifecycle: the timeline (stored facts plus current steps) and the shipment delivery report."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CamundaDep, SessionDep, SettingsDep
from doorflow.progress import current_steps_from_file
from models.fulfilment import service as fulfilment
from models.orders import service
from models.orders.schemas import CurrentStep, ShipmentDeliveredIn, TimelineFact, TimelineOut

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get(
    "/{order_id}/timeline",
    summary="What happened to an order and where it stands now",
    responses={404: {"description": "No such order."}},
)
def get_timeline(order_id: int, session: SessionDep, settings: SettingsDep) -> TimelineOut:
    order = service.get_order(session, order_id)
    facts = [TimelineFact.model_validate(e, from_attributes=True) for e in service.stored_timeline(session, order_id)]
    steps = None
    if settings.engine_records_file is not None and order.process_instance_key is not None:
        steps = [
            CurrentStep.model_validate(s, from_attributes=True)
            for s in current_steps_from_file(settings.engine_records_file, order.process_instance_key)
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
    order_id: int, body: ShipmentDeliveredIn, session: SessionDep, camunda: CamundaDep, settings: SettingsDep
) -> dict[str, str]:
    shipment = fulfilment.report_delivery(
        session,
        order_id,
        body,
        lambda order: camunda.publish_message(
            fulfilment.SHIPMENT_DELIVERED,
            order.order_number,
            {"deliveredOn": body.delivered_on.isoformat()},
            ttl_ms=settings.order_message_ttl_s * 1000,
        ),
        actor="api",
    )
    return {"status": "delivered", "tracking_number": shipment.tracking_number}
