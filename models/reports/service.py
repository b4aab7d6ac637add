"""Order KPIs from the stored facts: completion, on-time delivery, delays, first-pass rates."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, cast, select
from sqlalchemy.orm import Session

from models.calendar import WorkCalendar, report_warnings
from models.errors import InvalidInput
from models.fulfilment.tables import Acceptance, Shipment
from models.orders.tables import Order, OrderStatus
from models.production.tables import Inspection, InspectionKind, PlanStatus, ProductionDelay, ProductionPlan
from models.reports.schemas import MonthKpis, OrderKpis, SalespersonKpis

FOUR = Decimal("0.0001")


def _rate(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(part) / Decimal(whole)).quantize(FOUR)


def order_kpis(
    session: Session,
    *,
    start: date | None,
    end: date | None,
    salesperson: str | None,
    cal: WorkCalendar | None = None,
    today: date | None = None,
) -> OrderKpis:
    """KPIs of the orders received between ``start`` and ``end`` (inclusive), optionally of one salesperson.

    With the working-day calendar and the factory's ``today``, the report carries its warnings: a year's
    schedule missing (from November on next year's too), and open plans of these orders counted Monday to Friday.
    """
    if start and end and start > end:
        raise InvalidInput(("query", "start"), "must not be after end")
    query = select(Order)
    if start:
        query = query.where(cast(Order.created_at, Date) >= start)
    if end:
        query = query.where(cast(Order.created_at, Date) <= end)
    if salesperson:
        query = query.where(Order.salesperson == salesperson)
    orders = {o.id: o for o in session.scalars(query)}
    ids = list(orders)

    shipments = [s for s in session.scalars(select(Shipment).where(Shipment.order_id.in_(ids))) if s.delivered_on]
    on_time = {s.order_id for s in shipments if s.delivered_on and s.delivered_on <= orders[s.order_id].delivery_date}
    delays = list(session.scalars(select(ProductionDelay).where(ProductionDelay.order_id.in_(ids))))
    finals = session.scalars(
        select(Inspection).where(
            Inspection.order_id.in_(ids), Inspection.kind == InspectionKind.FINAL, Inspection.round == 1
        )
    ).all()
    acceptances = session.scalars(select(Acceptance).where(Acceptance.order_id.in_(ids), Acceptance.round == 1)).all()

    completed = [o for o in orders.values() if o.status == OrderStatus.COMPLETED]
    people: dict[str, list[Order]] = defaultdict(list)
    months: dict[str, list[Order]] = defaultdict(list)
    for o in orders.values():
        people[o.salesperson or "（未填写）"].append(o)
        months[f"{o.created_at:%Y-%m}"].append(o)
    delivered_ids = {s.order_id for s in shipments}
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
            )
            for month, group in sorted(months.items())
        ],
        calendar_warnings=warnings,
    )
