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
from models.aftersales.schemas import (
    AfterSalesQuarterly,
    AfterSalesReport,
    FeedbackIn,
    QuarterlyRow,
    TicketGroupStats,
    TicketIn,
)
from models.aftersales.tables import (
    PROBLEM_TYPE_NAMES,
    TICKET_NUMBER_SEQ,
    RepairDecision,
    ServiceTicket,
    TicketEvent,
    TicketStatus,
)
from models.calendar import WorkCalendar, report_warnings
from models.clock import factory_day_of
from models.costs import service as costs
from models.documents import service as documents
from models.documents.tables import Document, DocumentCategory
from models.errors import Conflict, InvalidInput, NotFound
from models.fulfilment.tables import Shipment
from models.orders.tables import DOOR_TYPE_NAMES, DoorLine, Order

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


@dataclass(frozen=True)
class TicketScope:
    """Which tickets a statistic counts: opened from ``start`` to ``end`` (factory dates, inclusive), of the
    orders of one salesperson and/or of a set of salespeople (a department). Unset parts do not filter."""

    start: date | None = None
    end: date | None = None
    salesperson: str | None = None
    salespeople: frozenset[str] | None = None

    @property
    def by_people(self) -> bool:
        return bool(self.salesperson) or self.salespeople is not None


@dataclass(frozen=True)
class Targets:
    """The after-sales targets of policy 002 考核指标 (settings ``aftersales_resolution_target_hours`` and
    ``aftersales_positive_score``)."""

    resolution_hours: float = 72.0
    positive_score: int = 4


@dataclass(frozen=True)
class _Ticket:
    """A ticket with what the statistics group it by."""

    ticket: ServiceTicket
    product_model: str
    cause: str

    @property
    def handling_hours(self) -> float | None:
        t = self.ticket
        return (t.resolved_at - t.opened_at).total_seconds() / 3600 if t.resolved_at is not None else None


def _people_filter(query: Select[Any], scope: TicketScope) -> Select[Any]:
    if scope.salesperson:
        query = query.where(Order.salesperson == scope.salesperson)
    if scope.salespeople is not None:
        query = query.where(Order.salesperson.in_(sorted(scope.salespeople)))
    return query


def _scoped_tickets(session: Session, scope: TicketScope) -> list[_Ticket]:
    """The one selection every statistic and every list behind a statistic is made from."""
    if scope.start and scope.end and scope.start > scope.end:
        raise InvalidInput(("query", "start"), "must not be after end")
    t = ServiceTicket
    query: Select[Any] = select(t, DoorLine.door_type).outerjoin(DoorLine, DoorLine.id == t.door_line_id)
    if scope.by_people:
        query = _people_filter(query.join(Order, Order.id == t.order_id), scope)
    if scope.start:
        query = query.where(factory_day_of(t.opened_at) >= scope.start)
    if scope.end:
        query = query.where(factory_day_of(t.opened_at) <= scope.end)
    rows = []
    for ticket, door_type in session.execute(query.order_by(t.id)):
        model = DOOR_TYPE_NAMES[door_type] if door_type is not None else ticket.product_model
        if ticket.cause:
            cause = ticket.cause
        elif ticket.solved_at_first_contact:
            cause = "首次联系即解决"
        else:
            cause = "（尚未分析）"
        rows.append(_Ticket(ticket, model, cause))
    return rows


def _delivered_orders(session: Session, scope: TicketScope) -> int:
    query: Select[Any] = select(func.count()).select_from(Shipment).join(Order, Order.id == Shipment.order_id)
    query = _people_filter(query.where(Shipment.delivered_on.is_not(None)), scope)
    if scope.end:
        query = query.where(Shipment.delivered_on <= scope.end)
    return int(session.scalar(query) or 0)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# The sets of tickets behind the report's figures (the dashboard's drill-down lists select them).
TICKET_MEASURES = {
    "tickets": "全部工单",
    "contacted": "已首次联系",
    "contact_in_time": "按时首次联系",
    "contact_late": "首次联系超时",
    "escalated": "已督办",
    "resolved": "已解决",
    "resolved_in_time": "及时解决",
    "resolved_late": "超时解决",
    "revisited": "已回访",
    "revisit_positive": "回访好评",
    "revisit_not_positive": "回访非好评",
}


def _in_measure(row: _Ticket, measure: str, targets: Targets) -> bool:
    t = row.ticket
    contacted = t.first_contact_at is not None
    in_time = contacted and t.contact_due_at is not None and t.first_contact_at <= t.contact_due_at  # type: ignore[operator]
    hours = row.handling_hours
    revisited = t.satisfaction_score is not None
    positive = revisited and t.satisfaction_score >= targets.positive_score  # type: ignore[operator]
    tests = {
        "tickets": True,
        "contacted": contacted,
        "contact_in_time": in_time,
        "contact_late": contacted and not in_time,
        "escalated": bool(t.escalated),
        "resolved": hours is not None,
        "resolved_in_time": hours is not None and hours <= targets.resolution_hours,
        "resolved_late": hours is not None and hours > targets.resolution_hours,
        "revisited": revisited,
        "revisit_positive": positive,
        "revisit_not_positive": revisited and not positive,
    }
    if measure not in tests:
        raise InvalidInput(("query", "measure"), f"must be one of {', '.join(TICKET_MEASURES)}")
    return bool(tests[measure])


def report_tickets(
    session: Session,
    measure: str,
    scope: TicketScope = TicketScope(),
    targets: Targets = Targets(),
    *,
    problem_type: str | None = None,
    product_model: str | None = None,
    cause: str | None = None,
) -> list[ServiceTicket]:
    """The tickets behind one figure of ``report`` / ``quarterly_report`` (same scope and targets), optionally
    of one problem type, product model or cause (as the quarterly report labels them)."""
    return [
        r.ticket
        for r in _scoped_tickets(session, scope)
        if _in_measure(r, measure, targets)
        and (problem_type is None or r.ticket.problem_type == problem_type)
        and (product_model is None or r.product_model == product_model)
        and (cause is None or r.cause == cause)
    ]


def report(
    session: Session,
    cal: WorkCalendar,
    today: date,
    scope: TicketScope = TicketScope(),
    targets: Targets = Targets(),
) -> AfterSalesReport:
    """Problem types, priorities, first-contact punctuality, resolution time and satisfaction; complaint rate,
    timely resolution and revisit positive rates (policy 002 考核指标), of the tickets in ``scope``.

    ``today`` is the factory's date: the calendar warns of this year's (and from November on, next
    year's) missing schedule, and of revisits still due that were counted Monday to Friday.
    """
    rows = _scoped_tickets(session, scope)
    tickets = [r.ticket for r in rows]

    def count(measure: str) -> int:
        return sum(1 for r in rows if _in_measure(r, measure, targets))

    by_type: dict[str, int] = {}
    by_priority: dict[str, int] = {}
    for t in tickets:
        by_type[str(t.problem_type)] = by_type.get(str(t.problem_type), 0) + 1
        by_priority[t.priority or "none"] = by_priority.get(t.priority or "none", 0) + 1
    contacted, in_time = count("contacted"), count("contact_in_time")
    resolved_hours = [h for r in rows if (h := r.handling_hours) is not None]
    scores = [t.satisfaction_score for t in tickets if t.satisfaction_score is not None]
    delivered = _delivered_orders(session, scope)
    warnings = report_warnings(cal, today)
    guessed = [t.ticket_number for t in sorted(tickets, key=lambda t: (t.revisit_due_on or date.max, t.id))
               if t.calendar_warning is not None and t.revisit_done_at is None]  # fmt: skip
    if guessed:
        shown = "、".join(guessed[:10]) + (f" 等 {len(guessed)} 张" if len(guessed) > 10 else "")
        warnings.append(f"{len(guessed)} 张工单的回访日按周一至周五推算（当年法定节假日安排缺失），请核对：{shown}")
    return AfterSalesReport(
        ticket_count=len(tickets),
        by_problem_type=by_type,
        by_priority=by_priority,
        contacted_count=contacted,
        first_contact_within_deadline_rate=(in_time / contacted) if contacted else None,
        escalated_count=count("escalated"),
        resolved_count=len(resolved_hours),
        mean_resolution_hours=_mean(resolved_hours),
        revisited_count=len(scores),
        mean_satisfaction=round(sum(scores) / len(scores), 2) if scores else None,
        calendar_warnings=warnings,
        start=scope.start,
        end=scope.end,
        salesperson=scope.salesperson,
        in_time_contact_count=in_time,
        delivered_orders=delivered,
        complaint_rate=_share(len(tickets), delivered),
        resolution_target_hours=targets.resolution_hours,
        resolved_in_time_count=count("resolved_in_time"),
        timely_resolution_rate=_share(count("resolved_in_time"), len(resolved_hours)),
        positive_score=targets.positive_score,
        revisit_positive_count=count("revisit_positive"),
        revisit_positive_rate=_share(count("revisit_positive"), len(scores)),
    )


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    if not 1 <= quarter <= 4:
        raise InvalidInput(("query", "quarter"), "must be 1, 2, 3 or 4")
    if not 2000 <= year <= 9998:
        raise InvalidInput(("query", "year"), "must be between 2000 and 9998")
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end - timedelta(days=1)


def _group(key: str, label: str, rows: list[_Ticket], targets: Targets) -> TicketGroupStats:
    hours = [h for r in rows if (h := r.handling_hours) is not None]
    scores = [r.ticket.satisfaction_score for r in rows if r.ticket.satisfaction_score is not None]
    return TicketGroupStats(
        key=key,
        label=label,
        tickets=len(rows),
        resolved=len(hours),
        mean_handling_hours=_mean(hours),
        revisited=len(scores),
        mean_satisfaction=round(sum(scores) / len(scores), 2) if scores else None,
        positive=sum(1 for s in scores if s >= targets.positive_score),
    )


def _grouped(rows: list[_Ticket], key: Callable[[_Ticket], str], targets: Targets) -> list[TicketGroupStats]:
    groups: dict[str, list[_Ticket]] = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    stats = [_group(k, PROBLEM_TYPE_NAMES.get(k, k), members, targets) for k, members in groups.items()]  # type: ignore[call-overload]
    return sorted(stats, key=lambda g: (-g.tickets, g.key))


def quarterly_report(
    session: Session,
    year: int,
    quarter: int,
    targets: Targets = Targets(),
    *,
    salesperson: str | None = None,
    salespeople: frozenset[str] | None = None,
) -> AfterSalesQuarterly:
    """Tickets opened in the quarter by problem type, product model (the door line's door type, else the model
    the customer named) and cause (the technical analysis), with handling times and satisfaction."""
    start, end = quarter_bounds(year, quarter)
    rows = _scoped_tickets(session, TicketScope(start, end, salesperson, salespeople))
    total = _group("all", "合计", rows, targets)
    combos: dict[tuple[str, str, str], list[_Ticket]] = {}
    for r in rows:
        combos.setdefault((str(r.ticket.problem_type), r.product_model, r.cause), []).append(r)
    combined = []
    for (ptype, model, cause), members in sorted(combos.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        g = _group(ptype, model, members, targets)
        combined.append(
            QuarterlyRow(
                problem_type=ptype,
                problem_type_label=PROBLEM_TYPE_NAMES.get(ptype, ptype),  # type: ignore[call-overload]
                product_model=model,
                cause=cause,
                tickets=g.tickets,
                resolved=g.resolved,
                mean_handling_hours=g.mean_handling_hours,
                mean_satisfaction=g.mean_satisfaction,
            )
        )
    return AfterSalesQuarterly(
        year=year,
        quarter=quarter,
        start=start,
        end=end,
        salesperson=salesperson,
        ticket_count=total.tickets,
        resolved_count=total.resolved,
        mean_handling_hours=total.mean_handling_hours,
        revisited_count=total.revisited,
        mean_satisfaction=total.mean_satisfaction,
        positive_score=targets.positive_score,
        by_problem_type=_grouped(rows, lambda r: str(r.ticket.problem_type), targets),
        by_product_model=_grouped(rows, lambda r: r.product_model, targets),
        by_cause=_grouped(rows, lambda r: r.cause, targets),
        rows=combined,
    )


QUARTERLY_KIND = "aftersales_quarterly"


def quarterly_document(
    session: Session, year: int, quarter: int, targets: Targets, *, actor: str, generated_on: date
) -> Document:
    """Render the quarterly statistics (templates/aftersales-quarterly.html.j2) as the next version of its document."""
    data = quarterly_report(session, year, quarter, targets)
    return documents.store(
        session,
        subject=f"aftersales:{year}-Q{quarter}",
        kind=QUARTERLY_KIND,
        category=DocumentCategory.CUSTOMER,
        title=f"{year}年第{quarter}季度售后服务统计报告",
        template="aftersales-quarterly.html.j2",
        context={"report": data.model_dump(), "generated_on": generated_on, "problem_types": PROBLEM_TYPE_NAMES},
        actor=actor,
    )
