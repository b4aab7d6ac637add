"""After-sales services: intake, the step records the workers make, customer feedback, statistics.

Times of process steps are ENGINE time (an input mapping ``${now()}`` hands it to the worker), never the
worker's clock: the deadlines the diagram's timers wait for must agree with the engine's clock, which
tests move. Only the intake time (``opened_at``) is the API's clock: it is when the customer called.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import audit
from models.aftersales.schemas import AfterSalesReport, FeedbackIn, TicketIn
from models.aftersales.tables import (
    TICKET_NUMBER_SEQ,
    RepairDecision,
    ServiceTicket,
    TicketEvent,
    TicketStatus,
)
from models.calendar import WorkCalendar, report_warnings
from models.costs import service as costs
from models.errors import Conflict, InvalidInput, NotFound
from models.orders.tables import DoorLine, Order

PROCESS_ID = "after-sales"
FEEDBACK_MESSAGE = "CustomerFeedback"

# Starts the ticket's process instance with the given variables (business key: their ``ticketNumber``)
# and returns its instance id.
ProcessStarter = Callable[[dict[str, Any]], str]
# Publishes CustomerFeedback: (business key = ticket number, variables, message id).
FeedbackPublisher = Callable[[str, dict[str, Any], str], None]

_ZONE_SUFFIX = re.compile(r"(\[[^\]]+\]|@[A-Za-z_/+\-0-9]+)$")


def parse_engine_time(value: object, name: str) -> datetime:
    """An engine date-time variable as an aware datetime.

    Operaton Date variables reach the workers as ISO strings with an offset
    (``2026-09-30T02:00:00.000+00:00``); FEEL-style strings with a zone id (``…+08:00[Asia/Shanghai]``)
    are accepted too. The offset alone fixes the instant; a string without one is refused.
    """
    if not isinstance(value, str) or not value:
        raise InvalidInput((name,), f"must be an engine date-time, got {value!r}")
    text = _ZONE_SUFFIX.sub("", value.strip())
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput((name,), f"must be an ISO date-time, got {value!r}") from exc
    if parsed.tzinfo is None:
        raise InvalidInput((name,), f"must carry a UTC offset, got {value!r}")
    return parsed


# --- intake (API) -----------------------------------------------------------------------------


def open_ticket(
    session: Session, data: TicketIn, start_process: ProcessStarter, *, actor: str, today: date
) -> ServiceTicket:
    """Validate, store the ticket and start its process; the start is last so a failure keeps nothing.

    ``today`` (the factory's day) dates the ticket number."""
    order_id: int | None = None
    line_id: int | None = None
    if data.door_line_no is not None and data.order_number is None:
        raise InvalidInput(("body", "door_line_no"), "a door line needs the order_number it belongs to")
    if data.order_number is not None:
        order = session.scalars(select(Order).where(Order.order_number == data.order_number)).first()
        if order is None:
            raise InvalidInput(("body", "order_number"), f"no order {data.order_number!r}")
        order_id = order.id
        if data.door_line_no is not None:
            line = session.scalars(
                select(DoorLine).where(DoorLine.order_id == order.id, DoorLine.line_no == data.door_line_no)
            ).first()
            if line is None:
                raise InvalidInput(
                    ("body", "door_line_no"), f"order {order.order_number} has no line {data.door_line_no}"
                )
            line_id = line.id

    seq = session.execute(TICKET_NUMBER_SEQ.next_value()).scalar_one()
    ticket = ServiceTicket(
        ticket_number=f"AS{today:%Y%m%d}-{seq:05d}",
        customer_name=data.customer_name,
        customer_phone=data.customer_phone,
        customer_email=data.customer_email,
        order_id=order_id,
        door_line_id=line_id,
        product_model=data.product_model,
        problem_type=data.problem_type,
        problem_description=data.problem_description,
        channel=data.channel,
        severity=data.severity,
        urgency=data.urgency,
        status=TicketStatus.OPENED,
        escalated=False,
        feedback_count=0,
        reassessment_rounds=0,
    )
    session.add(ticket)
    session.flush()
    _event(ticket, "opened", f"经{data.channel.value}受理售后问题：{data.problem_description}")
    ticket.process_instance_id = start_process(
        {
            "ticketId": ticket.id,
            "ticketNumber": ticket.ticket_number,
            "customerName": ticket.customer_name,
            "productModel": ticket.product_model,
            "problemDescription": ticket.problem_description,
            "orderNumber": data.order_number,
            "severity": ticket.severity.value,
            "urgency": ticket.urgency.value,
        },
    )
    audit.record(
        session,
        actor=actor,
        action="ticket.opened",
        entity="service_ticket",
        entity_id=ticket.ticket_number,
        after={"ticket_number": ticket.ticket_number, "process_instance_id": ticket.process_instance_id},
    )
    session.flush()
    return ticket


def _query() -> Select[tuple[ServiceTicket]]:
    return select(ServiceTicket).options(selectinload(ServiceTicket.events))


def get_ticket(session: Session, ticket_id: int) -> ServiceTicket:
    ticket = session.scalars(_query().where(ServiceTicket.id == ticket_id)).first()
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return ticket


def get_ticket_by_number(session: Session, number: str) -> ServiceTicket:
    ticket = session.scalars(_query().where(ServiceTicket.ticket_number == number)).first()
    if ticket is None:
        raise NotFound("ticket", number)
    return ticket


def list_tickets(
    session: Session,
    *,
    status: TicketStatus | None = None,
    priority: str | None = None,
    overdue_contact: bool | None = None,
    now: datetime,
    limit: int = 50,
    offset: int = 0,
) -> list[ServiceTicket]:
    """Newest first. Overdue contact: no first contact yet and the deadline passed (or the engine escalated it)."""
    query = _query().order_by(ServiceTicket.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(ServiceTicket.status == status)
    if priority is not None:
        query = query.where(ServiceTicket.priority == priority)
    overdue = and_(
        ServiceTicket.first_contact_at.is_(None),
        or_(ServiceTicket.escalated.is_(True), ServiceTicket.contact_due_at < now),
    )
    if overdue_contact is True:
        query = query.where(overdue)
    elif overdue_contact is False:
        query = query.where(~overdue)
    return list(session.scalars(query))


def order_link(session: Session, ticket: ServiceTicket) -> tuple[str | None, int | None]:
    """The order number and door line number a ticket is linked to (for the API)."""
    number = session.scalar(select(Order.order_number).where(Order.id == ticket.order_id)) if ticket.order_id else None
    line_no = (
        session.scalar(select(DoorLine.line_no).where(DoorLine.id == ticket.door_line_id))
        if ticket.door_line_id
        else None
    )
    return number, line_no


# --- feedback (API) ---------------------------------------------------------------------------


def submit_feedback(
    session: Session, number: str, data: FeedbackIn, publish: FeedbackPublisher, *, actor: str
) -> ServiceTicket:
    """Take the customer's answer and hand it to the process (message ``CustomerFeedback``).

    Only a ticket waiting for confirmation accepts one (409 otherwise), so an answer can neither be
    counted twice nor land in a later round. The ticket row is locked before the status check, so two
    concurrent answers serialize and the second one sees the first one's status (409). The message id
    makes a retried publication harmless.
    """
    ticket_id = get_ticket_by_number(session, number).id
    ticket = session.get(ServiceTicket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None:
        raise NotFound("ticket", number)
    if ticket.status != TicketStatus.AWAITING_CONFIRMATION:
        raise Conflict(f"ticket {number} is {ticket.status.value}, not waiting for the customer's confirmation")
    ticket.status = TicketStatus.FEEDBACK_RECEIVED
    answer = "满意" if data.satisfied else "不满意"
    _event(
        ticket,
        "feedback",
        f"客户确认处理结果：{answer}。{data.comments or ''}".rstrip("。") + "。",
        {"satisfied": data.satisfied},
    )
    audit.record(
        session,
        actor=actor,
        action="ticket.feedback",
        entity="service_ticket",
        entity_id=ticket.ticket_number,
        before={"status": TicketStatus.AWAITING_CONFIRMATION.value},
        after={"status": ticket.status.value, "satisfied": data.satisfied},
    )
    session.flush()
    publish(
        ticket.ticket_number,
        {"satisfied": data.satisfied, "feedbackComments": data.comments},
        f"{ticket.ticket_number}-feedback-{ticket.feedback_count + 1}",
    )
    return ticket


# --- steps the workers record -----------------------------------------------------------------


def _event(
    ticket: ServiceTicket, kind: str, note: str, data: dict[str, Any] | None = None, at: datetime | None = None
) -> None:
    event = TicketEvent(kind=kind, note=note, data=data)
    if at is not None:
        event.at = at
    ticket.events.append(event)


def _change(session: Session, ticket: ServiceTicket, action: str, actor: str, **after: Any) -> None:
    before = {"status": ticket.status.value}
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="service_ticket",
        entity_id=ticket.ticket_number,
        before=before,
        after=after,
    )


def record_priority(
    session: Session, ticket_id: int, priority: str, deadline_hours: int, engine_now: datetime, *, actor: str
) -> dict[str, Any]:
    """Store the DMN's classification and the contact deadline (wall-clock hours from now, engine time)."""
    if deadline_hours <= 0:
        raise InvalidInput(("classification", "contactDeadlineHours"), "must be positive")
    ticket = get_ticket(session, ticket_id)
    ticket.priority = priority
    ticket.contact_deadline_hours = deadline_hours
    ticket.contact_due_at = engine_now + timedelta(hours=deadline_hours)
    _change(
        session, ticket, "ticket.classified", actor, priority=priority, contact_due_at=ticket.contact_due_at.isoformat()
    )
    ticket.status = TicketStatus.AWAITING_CONTACT
    _event(ticket, "classified", f"优先级 {priority}，须在 {deadline_hours} 小时内首次联系客户。", at=engine_now)
    return {
        "priority": priority,
        "contactDeadlineHours": deadline_hours,
        "contactDueAt": ticket.contact_due_at.astimezone(UTC),  # a Date for the boundary timer
    }


def escalate(session: Session, ticket_id: int, engine_now: datetime, *, actor: str) -> dict[str, Any]:
    """The contact deadline passed with the contact task still open: flag the ticket for the supervisor."""
    ticket = get_ticket(session, ticket_id)
    if not ticket.escalated:
        ticket.escalated = True
        ticket.escalated_at = engine_now
        _change(session, ticket, "ticket.escalated", actor, escalated=True)
        _event(ticket, "escalated", "首次联系超时，已升级至售后主管。", at=engine_now)
    return {"escalated": True}


def record_supervision(
    session: Session, ticket_id: int, *, note: str, engine_now: datetime, actor: str
) -> dict[str, Any]:
    """What the supervisor did about the missed deadline, in the ticket's history."""
    ticket = get_ticket(session, ticket_id)
    _change(session, ticket, "ticket.supervised", actor, note=note)
    _event(ticket, "supervised", f"售后主管督办：{note}", at=engine_now)
    return {}


def record_first_contact(
    session: Session,
    ticket_id: int,
    *,
    reached: bool,
    solution: str,
    solved: bool,
    engine_now: datetime,
    actor: str,
) -> dict[str, Any]:
    ticket = get_ticket(session, ticket_id)
    ticket.first_contact_at = engine_now
    ticket.customer_reached = reached
    ticket.initial_solution = solution
    ticket.solved_at_first_contact = solved
    nxt = TicketStatus.AWAITING_CONFIRMATION if solved else TicketStatus.IN_ANALYSIS
    _change(session, ticket, "ticket.contacted", actor, status=nxt.value, solved=solved)
    ticket.status = nxt
    within = ticket.contact_due_at is None or engine_now <= ticket.contact_due_at
    _event(
        ticket,
        "first_contact",
        f"首次联系客户（{'已联系上' if reached else '未联系上'}，{'按时' if within else '超时'}）：{solution}",
        {"solved": solved, "within_deadline": within},
        at=engine_now,
    )
    if not solved:
        _event(ticket, "customer_informed", "已告知客户：问题转技术部门分析。", at=engine_now)
    return {"solvedAtFirstContact": solved}


def record_analysis(
    session: Session,
    ticket_id: int,
    *,
    cause: str,
    decision: RepairDecision,
    field_visit_needed: bool,
    visit_date: date | None,
    engine_now: datetime,
    actor: str,
) -> dict[str, Any]:
    if field_visit_needed and visit_date is None:
        raise InvalidInput(("visitDate",), "a field visit needs a visit date")
    ticket = get_ticket(session, ticket_id)
    ticket.analysed_at = engine_now
    ticket.cause = cause
    ticket.decision = decision
    ticket.field_visit_needed = field_visit_needed
    ticket.visit_date = visit_date if field_visit_needed else None
    _change(session, ticket, "ticket.analysed", actor, status=TicketStatus.IN_REPAIR.value, decision=decision.value)
    ticket.status = TicketStatus.IN_REPAIR
    plan = "维修" if decision == RepairDecision.REPAIR else "更换"
    visit = f"，{visit_date:%Y-%m-%d} 上门" if field_visit_needed and visit_date else ""
    _event(ticket, "analysed", f"技术分析原因：{cause}；处理方案：{plan}{visit}。", at=engine_now)
    _event(ticket, "customer_informed", f"已告知客户处理方案：{plan}{visit}。", at=engine_now)
    return {"repairDecision": decision.value}


def record_repair(session: Session, ticket_id: int, *, notes: str, engine_now: datetime, actor: str) -> dict[str, Any]:
    ticket = get_ticket(session, ticket_id)
    ticket.repaired_at = engine_now
    ticket.repair_notes = notes
    if ticket.decision == RepairDecision.REPLACE and ticket.order_id is not None:
        # Replacement goods cost the order one door of the ticket's line (each round of replacing counts).
        costs.accrue_replacement(
            session,
            ticket.order_id,
            f"ticket:{ticket.id}:{ticket.reassessment_rounds}",
            f"售后工单 {ticket.ticket_number}",
            ticket.door_line_id,
            actor=actor,
        )
    _change(session, ticket, "ticket.repaired", actor, status=TicketStatus.AWAITING_CONFIRMATION.value)
    ticket.status = TicketStatus.AWAITING_CONFIRMATION
    _event(ticket, "repaired", f"维修/更换完成：{notes}", at=engine_now)
    _event(ticket, "customer_informed", "已告知客户处理完成，请客户确认结果。", at=engine_now)
    return {}


def record_feedback(
    session: Session, ticket_id: int, *, satisfied: bool, engine_now: datetime, actor: str
) -> dict[str, Any]:
    """Count the customer's answer; "not satisfied" starts another round of analysis."""
    ticket = get_ticket(session, ticket_id)
    ticket.feedback_count += 1
    if not satisfied:
        ticket.reassessment_rounds += 1
    nxt = TicketStatus.RESOLVED if satisfied else TicketStatus.IN_ANALYSIS
    _change(session, ticket, "ticket.feedback_recorded", actor, status=nxt.value, rounds=ticket.reassessment_rounds)
    ticket.status = nxt
    if not satisfied:
        _event(
            ticket,
            "customer_informed",
            f"客户不满意，第 {ticket.reassessment_rounds} 次重新评估，已告知客户。",
            at=engine_now,
        )
    return {"reassessmentRounds": ticket.reassessment_rounds}


@dataclass(frozen=True)
class RevisitRule:
    """The policy's revisit: [X] working days after resolution, at a time of day in the factory's zone."""

    working_days: int
    zone: ZoneInfo
    time_of_day: time


@dataclass(frozen=True)
class Revisit:
    due_on: date
    due_at: datetime
    calendar_warning: str | None  # the date was counted Monday to Friday: a year's schedule is missing


def revisit_due(resolved_at: datetime, rule: RevisitRule, cal: WorkCalendar) -> Revisit:
    """The revisit date and the moment its timer fires; never fails for a year without a schedule.

    The resolution DATE is taken in the factory's zone: 2026-10-09T17:00Z is already 10 October in China.
    """
    local_day = resolved_at.astimezone(rule.zone).date()
    due_on = cal.add_working_days(local_day, rule.working_days)
    return Revisit(
        due_on=due_on,
        due_at=datetime.combine(due_on, rule.time_of_day, tzinfo=rule.zone),
        calendar_warning=cal.warning(local_day, due_on),
    )


def resolve(
    session: Session, ticket_id: int, resolved_at: datetime, rule: RevisitRule, cal: WorkCalendar, *, actor: str
) -> dict[str, Any]:
    """Record the resolution (engine time) and the revisit date the diagram's timer waits for."""
    ticket = get_ticket(session, ticket_id)
    revisit = revisit_due(resolved_at, rule, cal)
    due_on = revisit.due_on
    ticket.resolved_at = resolved_at
    ticket.revisit_due_on = due_on
    ticket.calendar_warning = revisit.calendar_warning
    _change(
        session,
        ticket,
        "ticket.resolved",
        actor,
        status=TicketStatus.RESOLVED.value,
        revisit_due_on=due_on.isoformat(),
        calendar_warning=revisit.calendar_warning,
    )
    ticket.status = TicketStatus.RESOLVED
    note = f"问题已解决，客户确认满意；{due_on:%Y-%m-%d} 回访。"
    if revisit.calendar_warning:
        note += f"注意：{revisit.calendar_warning}"
    _event(ticket, "resolved", note, at=resolved_at)
    # a date (shown in the form) and a Date for the timer
    return {"revisitDueOn": due_on, "revisitDueAt": revisit.due_at}


def record_revisit(
    session: Session, ticket_id: int, *, score: int, comments: str | None, engine_now: datetime, actor: str
) -> dict[str, Any]:
    if not 1 <= score <= 5:
        raise InvalidInput(("satisfactionScore",), "must be between 1 and 5")
    ticket = get_ticket(session, ticket_id)
    ticket.revisit_done_at = engine_now
    ticket.satisfaction_score = score
    ticket.revisit_comments = comments
    _change(session, ticket, "ticket.revisited", actor, status=TicketStatus.CLOSED.value, satisfaction=score)
    ticket.status = TicketStatus.CLOSED
    _event(ticket, "revisited", f"回访完成，满意度 {score} 分。{comments or ''}", at=engine_now)
    return {}


# --- statistics -------------------------------------------------------------------------------


def report(session: Session, cal: WorkCalendar, today: date) -> AfterSalesReport:
    """Problem types, priorities, first-contact punctuality, resolution time and satisfaction.

    ``today`` is the factory's date: the calendar warns of this year's (and from November on, next
    year's) missing schedule, and of revisits still due that were counted Monday to Friday.
    """
    t = ServiceTicket
    by_type = {
        str(k): int(v) for k, v in session.execute(select(t.problem_type, func.count()).group_by(t.problem_type))
    }
    by_priority = {
        (k or "none"): int(v) for k, v in session.execute(select(t.priority, func.count()).group_by(t.priority))
    }
    total = sum(by_type.values())
    contacted, in_time = session.execute(
        select(
            func.count(t.first_contact_at),
            func.count().filter(t.first_contact_at <= t.contact_due_at),
        )
    ).one()
    escalated = session.scalar(select(func.count()).where(t.escalated.is_(True))) or 0
    resolved, mean_seconds = session.execute(
        select(func.count(t.resolved_at), func.avg(func.extract("epoch", t.resolved_at - t.opened_at)))
    ).one()
    revisited, mean_score = session.execute(
        select(func.count(t.satisfaction_score), func.avg(t.satisfaction_score))
    ).one()
    warnings = report_warnings(cal, today)
    guessed = session.scalars(
        select(t.ticket_number)
        .where(t.calendar_warning.is_not(None), t.revisit_done_at.is_(None))
        .order_by(t.revisit_due_on, t.id)
    ).all()
    if guessed:
        shown = "、".join(guessed[:10]) + (f" 等 {len(guessed)} 张" if len(guessed) > 10 else "")
        warnings.append(f"{len(guessed)} 张工单的回访日按周一至周五推算（当年法定节假日安排缺失），请核对：{shown}")
    return AfterSalesReport(
        ticket_count=total,
        by_problem_type=by_type,
        by_priority=by_priority,
        contacted_count=int(contacted),
        first_contact_within_deadline_rate=(int(in_time) / int(contacted)) if contacted else None,
        escalated_count=int(escalated),
        resolved_count=int(resolved),
        mean_resolution_hours=round(float(mean_seconds) / 3600, 2) if mean_seconds is not None else None,
        revisited_count=int(revisited),
        mean_satisfaction=round(float(mean_score), 2) if mean_score is not None else None,
        calendar_warnings=warnings,
    )
