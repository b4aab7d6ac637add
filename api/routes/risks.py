"""The risk register: an order's risks, staff entries, closing with a note, the list and the dashboard report."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from api.auth import CallerDep
from api.deps import SessionDep
from api.idempotency import IDEMPOTENT, IdempotentRoute
from models.risks import service
from models.risks.schemas import RiskCloseIn, RiskIn, RiskOut, RiskReport
from models.risks.tables import RiskCategory, RiskLevel, RiskStatus
from models.types import Id, Line

router = APIRouter(tags=["risks"], route_class=IdempotentRoute)


@router.get(
    "/orders/{order_id}/risks",
    summary="An order's risks (raised by the processes and by staff), oldest first",
    responses={404: {"description": "No such order."}},
)
def order_risks(order_id: Id, session: SessionDep) -> list[RiskOut]:
    return [RiskOut.model_validate(r) for r in service.list_risks(session, order_id=order_id)]


@router.post(
    "/orders/{order_id}/risks",
    status_code=status.HTTP_201_CREATED,
    dependencies=[IDEMPOTENT],
    summary="Enter a risk for an order (category, level, owner, measures)",
    responses={
        404: {"description": "No such order."},
        422: {"description": "Invalid risk; the detail names the field."},
    },
)
def raise_risk(order_id: Id, body: RiskIn, session: SessionDep, caller: CallerDep) -> RiskOut:
    return RiskOut.model_validate(service.raise_risk(session, order_id, body, actor=caller.actor))


@router.post(
    "/risks/{risk_id}/close",
    summary="Close a risk with the note of how it was dealt with",
    responses={
        404: {"description": "No such risk."},
        409: {"description": "The risk is closed already."},
        422: {"description": "No note (or an empty one)."},
    },
)
def close_risk(risk_id: Id, body: RiskCloseIn, session: SessionDep, caller: CallerDep) -> RiskOut:
    return RiskOut.model_validate(service.close_risk(session, risk_id, body.note, body.closed_by, actor=caller.actor))


@router.get(
    "/risks",
    summary="Risks by status, category, level and order",
    responses={404: {"description": "No such order."}},
)
def list_risks(
    session: SessionDep,
    status: RiskStatus | None = None,
    category: RiskCategory | None = None,
    level: RiskLevel | None = None,
    order_id: Id | None = None,
) -> list[RiskOut]:
    risks = service.list_risks(session, status=status, category=category, level=level, order_id=order_id)
    return [RiskOut.model_validate(r) for r in risks]


@router.get(
    "/reports/risks",
    summary="Risk counts by category, level, status and source, and the open high risks",
    responses={422: {"description": "A bad date range; the detail names the field."}},
)
def risk_report(
    session: SessionDep, start: date | None = None, end: date | None = None, salesperson: Line | None = None
) -> RiskReport:
    return service.report(session, start=start, end=end, salesperson=salesperson)
