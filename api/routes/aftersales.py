"""After-sales tickets: open, get, list, customer feedback; and the after-sales report."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from api.auth import CallerDep
from api.dashboard.filters import department_people, targets
from api.deps import EngineDep, FactoryTodayDep, SessionDep, SettingsDep
from api.idempotency import IDEMPOTENT, IdempotentRoute
from models import calendar, outbox
from models.aftersales import service
from models.aftersales.schemas import AfterSalesReport, FeedbackIn, TicketIn, TicketOut
from models.aftersales.tables import Priority, ServiceTicket, TicketStatus
from models.types import Line, Offset

router = APIRouter(tags=["after-sales"], route_class=IdempotentRoute)


def _out(session: Session, ticket: ServiceTicket) -> TicketOut:
    order_number, line_no = service.order_link(session, ticket)
    data: dict[str, Any] = {c: getattr(ticket, c) for c in TicketOut.model_fields if hasattr(ticket, c)}
    data.update(order_number=order_number, door_line_no=line_no)
    return TicketOut.model_validate(data)


@router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    dependencies=[IDEMPOTENT],
    summary="Open an after-sales ticket and start its process",
    responses={
        422: {"description": "Invalid ticket (e.g. unknown order); the detail names the field. Nothing is stored."},
        503: {"description": "The engine is unreachable; nothing is stored, retry later."},
    },
)
def open_ticket(
    body: TicketIn, session: SessionDep, engine: EngineDep, today: FactoryTodayDep, caller: CallerDep
) -> TicketOut:
    ticket = service.open_ticket(
        session,
        body,
        lambda variables: engine.start_process(service.PROCESS_ID, str(variables["ticketNumber"]), variables),
        actor=caller.actor,
        today=today,
    )
    return _out(session, ticket)


@router.get(
    "/tickets/{number}", summary="Get one ticket with its history", responses={404: {"description": "No such ticket."}}
)
def get_ticket(number: Line, session: SessionDep) -> TicketOut:
    return _out(session, service.get_ticket_by_number(session, number))


@router.get("/tickets", summary="List tickets, newest first")
def list_tickets(
    session: SessionDep,
    status: TicketStatus | None = None,
    priority: Annotated[Priority | None, Query(description="Priority the ticket was classified with.")] = None,
    overdue_contact: Annotated[
        bool | None, Query(description="true: no first contact and past its deadline (or escalated); false: the rest.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query(ge=0)] = 0,
) -> list[TicketOut]:
    tickets = service.list_tickets(
        session,
        status=status,
        priority=priority,
        overdue_contact=overdue_contact,
        now=datetime.now(UTC),
        limit=limit,
        offset=offset,
    )
    return [_out(session, t) for t in tickets]


@router.post(
    "/tickets/{number}/feedback",
    summary="The customer confirms (or not) that the problem is solved",
    responses={
        404: {"description": "No such ticket."},
        409: {"description": "The ticket is not waiting for the customer's confirmation."},
    },
)
def customer_feedback(
    number: Line, body: FeedbackIn, session: SessionDep, settings: SettingsDep, caller: CallerDep
) -> TicketOut:
    ticket = service.submit_feedback(
        session,
        number,
        body,
        lambda key, variables, message_id: outbox.enqueue(
            session,
            service.FEEDBACK_MESSAGE,
            message_id,
            settings.aftersales_feedback_ttl_s,
            business_key=key,
            variables=variables,
        ),
        actor=caller.actor,
    )
    return _out(session, ticket)


@router.get(
    "/reports/after-sales", summary="After-sales statistics: problem types, punctuality, resolution, satisfaction"
)
def after_sales_report(
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[date | None, Query(description="Tickets opened from this day (factory date).")] = None,
    end: Annotated[date | None, Query(description="Tickets opened up to this day.")] = None,
    salesperson: Annotated[Line | None, Query(description="Only tickets of this salesperson's orders.")] = None,
    department: Annotated[Line | None, Query(description="Only tickets of this sales department's orders.")] = None,
) -> AfterSalesReport:
    today = datetime.now(ZoneInfo(settings.factory_timezone)).date()  # the factory's date, not the host's
    scope = service.TicketScope(start, end, salesperson, department_people(settings, department))
    return service.report(session, calendar.for_folder(settings.workdays_dir), today, scope, targets(settings))
