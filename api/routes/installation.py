"""Installation: replacement goods arrived on site (publishes ReplacementGoodsArrived)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CamundaDep, SessionDep, SettingsDep
from models.installation import service
from models.installation.schemas import InstallationOut, ReplacementArrivedIn, ReplacementOut

router = APIRouter(tags=["installation"])


@router.post(
    "/orders/{order_id}/installation/replacement-arrived",
    summary="Report that the replacement goods for damaged ones have arrived; the installation checks again",
    responses={
        404: {"description": "No such order."},
        409: {"description": "The order's installation is not waiting for replacement goods."},
        503: {"description": "The engine is unreachable; nothing is stored, retry later."},
    },
)
def replacement_arrived(
    order_id: int, body: ReplacementArrivedIn, session: SessionDep, camunda: CamundaDep, settings: SettingsDep
) -> ReplacementOut:
    replacement = service.replacement_arrived(
        session,
        order_id,
        body.note,
        lambda order_number, replacement_id: camunda.publish_message(
            service.REPLACEMENT_ARRIVED,
            order_number,
            ttl_ms=settings.replacement_message_ttl_s * 1000,
            message_id=f"replacement-{replacement_id}",
        ),
        actor="api",
    )
    return ReplacementOut.model_validate(replacement)


@router.get(
    "/orders/{order_id}/installation",
    summary="An order's installation: schedule, pre-install checks, replacement goods, inspections",
    responses={404: {"description": "No such order, or no installation yet."}},
)
def get_installation(order_id: int, session: SessionDep) -> InstallationOut:
    return InstallationOut.model_validate(service.installation_overview(session, order_id), from_attributes=True)
