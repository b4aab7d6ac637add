"""Installation: replacement goods arrived on site (publishes ReplacementGoodsArrived)."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CallerDep
from api.deps import SessionDep, SettingsDep
from models import outbox
from models.installation import service
from models.installation.schemas import InstallationOut, ReplacementArrivedIn, ReplacementOut
from models.types import Id

router = APIRouter(tags=["installation"])


@router.post(
    "/orders/{order_id}/installation/replacement-arrived",
    summary="Report that the replacement goods for damaged ones have arrived; the installation checks again",
    responses={
        404: {"description": "No such order."},
        409: {"description": "The order's installation is not waiting for replacement goods."},
    },
)
def replacement_arrived(
    order_id: Id, body: ReplacementArrivedIn, session: SessionDep, settings: SettingsDep, caller: CallerDep
) -> ReplacementOut:
    replacement = service.replacement_arrived(
        session,
        order_id,
        body.note,
        lambda order_number, replacement_id: outbox.enqueue(
            session,
            service.REPLACEMENT_ARRIVED,
            f"replacement-{replacement_id}",
            settings.replacement_message_ttl_s,
            business_key=order_number,
        ),
        actor=caller.actor,
    )
    return ReplacementOut.model_validate(replacement)


@router.get(
    "/orders/{order_id}/installation",
    summary="An order's installation: schedule, pre-install checks, replacement goods, inspections",
    responses={404: {"description": "No such order, or no installation yet."}},
)
def get_installation(order_id: Id, session: SessionDep) -> InstallationOut:
    return InstallationOut.model_validate(service.installation_overview(session, order_id), from_attributes=True)
