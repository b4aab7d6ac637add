"""Order KPIs from the stored facts: completion, on-time delivery, delays, first-pass rates.

One selection (``_facts``) feeds both the KPIs and the lists behind them (``order_rows``, ``delay_rows``),
so the dashboard's drill-down lists always hold exactly the rows a figure counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calendar import WorkCalendar, report_warnings
from models.clock import factory_day_of
from models.errors import InvalidInput
from models.fulfilment.tables import Acceptance, Shipment
from models.orders.tables import Order, OrderStatus
from models.production.tables import Inspection, InspectionKind, PlanStatus, ProductionDelay, ProductionPlan
from models.reports.schemas import MonthKpis, OrderKpis, SalespersonKpis

FOUR = Decimal("0.0001")


def _rate(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(part) / Decimal(whole)).quantize(FOUR)


@dataclass
class _Facts:
    orders: dict[int, Order]
    shipments: list[Shipment]
    on_time: set[int]
    delays: list[ProductionDelay]
    finals: list[Inspection]
    acceptances: list[Acceptance]
    completed: list[Order] = field(default_factory=list)


def _facts(
    session: Session,
    *,
    start: date | None,
    end: date | None,
    salesperson: str | None,
    salespeople: Collection[str] | None = None,
) -> _Facts:
    """The orders received between ``start`` and ``end`` (inclusive), of one salesperson and/or of a set of them
    (a department), with their deliveries, delays and first-round inspections and acceptances."""
    if start and end and start > end:
        raise InvalidInput(("query", "start"), "must not be after end")
    query = select(Order)
    if start:
        query = query.where(factory_day_of(Order.created_at) >= start)
    if end:
        query = query.where(factory_day_of(Order.created_at) <= end)
    if salesperson:
        query = query.where(Order.salesperson == salesperson)
    if salespeople is not None:
        query = query.where(Order.salesperson.in_(list(salespeople)))
    orders = {o.id: o for o in session.scalars(query.order_by(Order.id))}
    ids = list(orders)
    shipments = [
        s
        for s in session.scalars(select(Shipment).where(Shipment.order_id.in_(ids)).order_by(Shipment.order_id))
        if s.delivered_on
    ]
    on_time = {s.order_id for s in shipments if s.delivered_on and s.delivered_on <= orders[s.order_id].delivery_date}
    delays = list(
        session.scalars(select(ProductionDelay).where(ProductionDelay.order_id.in_(ids)).order_by(ProductionDelay.id))
    )
    finals = list(
        session.scalars(
            select(Inspection)
            .where(Inspection.order_id.in_(ids), Inspection.kind == InspectionKind.FINAL, Inspection.round == 1)
            .order_by(Inspection.order_id)
        )
    )
    acceptances = list(
        session.scalars(
            select(Acceptance).where(Acceptance.order_id.in_(ids), Acceptance.round == 1).order_by(Acceptance.order_id)
        )
    )
    completed = [o for o in orders.values() if o.status == OrderStatus.COMPLETED]
    return _Facts(orders, shipments, on_time, delays, finals, acceptances, completed)


# What a drill-down list of orders may select: each is the set a KPI of ``order_kpis`` counts.
ORDER_MEASURES = {
    "orders": "收到的订单",
    "completed": "已完成",
    "rejected": "已拒绝",
    "delivered": "已送达",
    "on_time": "按期送达",
    "late": "逾期送达",
    "inspected": "已做成品检验",
    "inspection_first_pass": "成品检验一次合格",
    "inspection_failed": "成品检验首检不合格",
    "acceptance_checked": "已做客户验收",
    "acceptance_first_pass": "安装一次验收合格",
    "acceptance_failed": "首次验收不合格",
    "delayed": "有生产延期",
}


def _measure_ids(facts: _Facts, measure: str) -> set[int]:
    delivered = {s.order_id for s in facts.shipments}
    sets: dict[str, set[int]] = {
        "orders": set(facts.orders),
        "completed": {o.id for o in facts.completed},
        "rejected": {o.id for o in facts.orders.values() if o.status == OrderStatus.REJECTED},
        "delivered": delivered,
        "on_time": facts.on_time,
        "late": delivered - facts.on_time,
        "inspected": {i.order_id for i in facts.finals},
        "inspection_first_pass": {i.order_id for i in facts.finals if i.passed},
        "inspection_failed": {i.order_id for i in facts.finals if not i.passed},
        "acceptance_checked": {a.order_id for a in facts.acceptances},
        "acceptance_first_pass": {a.order_id for a in facts.acceptances if a.passed},
        "acceptance_failed": {a.order_id for a in facts.acceptances if not a.passed},
        "delayed": {d.order_id for d in facts.delays},
    }
    if measure not in sets:
        raise InvalidInput(("query", "measure"), f"must be one of {', '.join(ORDER_MEASURES)}")
    return sets[measure]


def _month(o: Order) -> str:
    return f"{o.created_at:%Y-%m}"


def _person(o: Order) -> str:
    return o.salesperson or "（未填写）"


def order_rows(
    session: Session,
    measure: str,
    *,
    start: date | None,
    end: date | None,
    salesperson: str | None,
    salespeople: Collection[str] | None = None,
    month: str | None = None,
) -> list[Order]:
    """The orders behind one figure of ``order_kpis`` (same filters), optionally of one month (YYYY-MM) of receipt."""
    facts = _facts(session, start=start, end=end, salesperson=salesperson, salespeople=salespeople)
    ids = _measure_ids(facts, measure)
    return [o for i, o in facts.orders.items() if i in ids and (month is None or _month(o) == month)]


def delay_rows(
    session: Session,
    *,
    start: date | None,
    end: date | None,
    salesperson: str | None,
    salespeople: Collection[str] | None = None,
    month: str | None = None,
) -> list[tuple[ProductionDelay, Order]]:
    """The production delays ``order_kpis`` counts (``delays``, ``total_delay_days``), with their orders."""
    facts = _facts(session, start=start, end=end, salesperson=salesperson, salespeople=salespeople)
    return [
        (d, facts.orders[d.order_id])
        for d in facts.delays
        if month is None or _month(facts.orders[d.order_id]) == month
    ]


def order_kpis(
    session: Session,
    *,
    start: date | None,
    end: date | None,
    salesperson: str | None,
    cal: WorkCalendar | None = None,
    today: date | None = None,
    salespeople: Collection[str] | None = None,
) -> OrderKpis:
    """KPIs of the orders received between ``start`` and ``end`` (inclusive), optionally of one salesperson
    and/or of the salespeople of a department (``salespeople``).

    With the working-day calendar and the factory's ``today``, the report carries its warnings: a year's
    schedule missing (from November on next year's too), and open plans of these orders counted Monday to Friday.
    """
    facts = _facts(session, start=start, end=end, salesperson=salesperson, salespeople=salespeople)
    orders, shipments, on_time, delays = facts.orders, facts.shipments, facts.on_time, facts.delays
    finals, acceptances, completed = facts.finals, facts.acceptances, facts.completed
    ids = list(orders)
    people: dict[str, list[Order]] = defaultdict(list)
    months: dict[str, list[Order]] = defaultdict(list)
    for o in orders.values():
        people[_person(o)].append(o)
        months[_month(o)].append(o)
    delivered_ids = {s.order_id for s in shipments}
    month_delays: dict[str, list[ProductionDelay]] = defaultdict(list)
    for d in delays:
        month_delays[_month(orders[d.order_id])].append(d)
    warnings = report_warnings(cal, today) if cal is not None and today is not None else []
    guessed = session.scalars(
        select(Order.order_number)
        .join(ProductionPlan, ProductionPlan.order_id == Order.id)
        .where(
            Order.id.in_(ids), ProductionPlan.calendar_warning.is_not(None), ProductionPlan.status != PlanStatus.PACKED
        )
        .distinct()
        .order_by(Order.order_number)
    ).all()
    if guessed:
        warnings.append(
            f"{len(guessed)} 个订单的生产计划按周一至周五排程（法定节假日安排缺失），请核对：{'、'.join(guessed[:10])}"
        )

    return OrderKpis(
        start=start,
        end=end,
        salesperson=salesperson,
        orders=len(orders),
        completed=len(completed),
        rejected=sum(1 for o in orders.values() if o.status == OrderStatus.REJECTED),
        completion_rate=_rate(len(completed), len(orders)),
        delivered=len(shipments),
        on_time_delivery_rate=_rate(len(on_time), len(shipments)),
        delays=len(delays),
        total_delay_days=sum((d.new_due_date - d.old_due_date).days for d in delays),
        first_pass_inspection_rate=_rate(sum(1 for i in finals if i.passed), len(finals)),
        installation_first_pass_acceptance_rate=_rate(sum(1 for a in acceptances if a.passed), len(acceptances)),
        by_salesperson=[
            SalespersonKpis(
                salesperson=name,
                orders=len(group),
                completed=sum(1 for o in group if o.status == OrderStatus.COMPLETED),
                on_time_delivery_rate=_rate(
                    sum(1 for o in group if o.id in on_time), sum(1 for o in group if o.id in delivered_ids)
                ),
            )
            for name, group in sorted(people.items())
        ],
        by_month=[
            MonthKpis(
                month=month,
                orders=len(group),
                completed=sum(1 for o in group if o.status == OrderStatus.COMPLETED),
                delays=len(month_delays[month]),
                delay_days=sum((d.new_due_date - d.old_due_date).days for d in month_delays[month]),
            )
            for month, group in sorted(months.items())
        ],
        calendar_warnings=warnings,
        on_time_count=len(on_time),
        inspected_count=len(finals),
        inspection_first_pass_count=sum(1 for i in finals if i.passed),
        acceptance_checked_count=len(acceptances),
        acceptance_first_pass_count=sum(1 for a in acceptances if a.passed),
    )


def salespeople(session: Session) -> list[str]:
    """Every salesperson named on an order (for the dashboard's filter)."""
    query = select(Order.salesperson).where(Order.salesperson.is_not(None)).distinct().order_by(Order.salesperson)
    return [name for name in session.scalars(query) if name]
