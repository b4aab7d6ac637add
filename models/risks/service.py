"""The per-order risk register (policies 001 §5, 000 §7).

Processes raise risks from inside the services that record the facts (a production delay, a failed inspection,
an overdue installment, a major change, a risk-flagged customer): one risk per source event, the unique key
``(order, source, source_ref)`` makes a second delivery of the same event add nothing. How such a risk is
classed (category, level, owner group) is configuration (``DOORFLOW_RISK_AUTO_RULES``). Staff raise risks
through the API and close any risk with a note. Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from doorflow.settings import DEFAULT_RISK_RULES, RiskRuleSetting, get_settings
from models import audit
from models.clock import factory_day_of
from models.collection.tables import CustomerRiskFlag
from models.errors import Conflict, InvalidInput, NotFound
from models.orders.service import get_order
from models.orders.tables import Order, OrderStatus
from models.risks.schemas import (
    CATEGORY_LABELS,
    LEVEL_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    RiskCount,
    RiskIn,
    RiskOut,
    RiskReport,
)
from models.risks.tables import Risk, RiskCategory, RiskLevel, RiskSource, RiskStatus

FINISHED = (OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED)


def current_rules() -> Mapping[str, RiskRuleSetting]:
    """The settings' rules over the defaults (a partial DOORFLOW_RISK_AUTO_RULES keeps the other sources'),
    for the hooks inside other domains' services, which get no settings."""
    return {**DEFAULT_RISK_RULES, **get_settings().risk_auto_rules}


def _audit(session: Session, risk: Risk, action: str, actor: str) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="order",
        entity_id=risk.order_id,
        after={
            "risk_id": risk.id,
            "category": risk.category.value,
            "level": risk.level.value,
            "status": risk.status.value,
            "title": risk.title,
            "source": risk.source.value,
            "source_ref": risk.source_ref,
            "close_note": risk.close_note,
        },
    )


def raise_auto(
    session: Session,
    order_id: int,
    source: RiskSource,
    source_ref: object,
    title: str,
    description: str | None = None,
    measures: str | None = None,
    *,
    actor: str,
    rules: Mapping[str, RiskRuleSetting] | None = None,
) -> Risk | None:
    """Raise the risk of one source event; None when that event raised it already."""
    rule = (rules if rules is not None else current_rules()).get(source.value)
    if rule is None:
        raise InvalidInput(("settings", "risk_auto_rules", source.value), "no rule for this risk source")
    new_id = session.execute(
        pg_insert(Risk)
        .values(
            order_id=order_id,
            category=RiskCategory(rule.category),
            level=RiskLevel(rule.level),
            status=RiskStatus.OPEN,
            title=title[:200],
            description=description,
            measures=measures,
            owner_group=rule.owner_group,
            source=source,
            source_ref=str(source_ref),
            raised_by=actor,
        )
        .on_conflict_do_nothing(index_elements=["order_id", "source", "source_ref"])
        .returning(Risk.id)
    ).scalar_one_or_none()
    if new_id is None:
        return None
    risk = session.get(Risk, new_id)
    assert risk is not None
    _audit(session, risk, "risk.raised", actor)
    return risk


def raise_for_flagged_customer(
    session: Session, flag_id: int, customer_name: str, reason: str, *, actor: str, order_id: int | None = None
) -> list[Risk]:
    """A customer was flagged: a customer risk on each of their running orders (or on ``order_id`` only)."""
    if order_id is not None:
        ids = [order_id]
    else:
        ids = list(
            session.scalars(select(Order.id).where(Order.customer_name == customer_name, Order.status.not_in(FINISHED)))
        )
    raised = []
    for oid in ids:
        risk = raise_auto(
            session,
            oid,
            RiskSource.CUSTOMER_RISK_FLAG,
            flag_id,
            f"客户 {customer_name} 已被标记信用风险",
            reason,
            "加强与客户沟通，发货与放行前确认回款；必要时暂停发货",
            actor=actor,
        )
        if risk is not None:
            raised.append(risk)
    return raised


def raise_for_existing_flags(session: Session, order_id: int, *, actor: str) -> None:
    """An order of a customer flagged before (e.g. at signing) carries the customer risk too."""
    order = get_order(session, order_id)
    for flag in session.scalars(select(CustomerRiskFlag).where(CustomerRiskFlag.customer_name == order.customer_name)):
        raise_for_flagged_customer(session, flag.id, order.customer_name, flag.reason, actor=actor, order_id=order.id)


def raise_risk(session: Session, order_id: int, data: RiskIn, *, actor: str) -> Risk:
    """A risk staff entered for the order."""
    order = get_order(session, order_id)
    risk = Risk(
        order_id=order.id,
        category=data.category,
        level=data.level,
        status=RiskStatus.OPEN,
        title=data.title,
        description=data.description,
        measures=data.measures,
        owner_group=data.owner_group,
        owner_user=data.owner_user,
        source=RiskSource.STAFF,
        source_ref=None,
        raised_by=data.raised_by,
    )
    session.add(risk)
    session.flush()
    _audit(session, risk, "risk.raised", actor)
    return risk


def get_risk(session: Session, risk_id: int) -> Risk:
    risk = session.get(Risk, risk_id)
    if risk is None:
        raise NotFound("risk", risk_id)
    return risk


def close_risk(session: Session, risk_id: int, note: str, closed_by: str, *, actor: str) -> Risk:
    """Close a risk with the note of how it was dealt with; a closed risk is not closed again (409)."""
    if not note.strip():
        raise InvalidInput(("body", "note"), "a risk is closed with a note")
    risk = session.scalars(select(Risk).where(Risk.id == risk_id).with_for_update()).first()
    if risk is None:
        raise NotFound("risk", risk_id)
    if risk.status == RiskStatus.CLOSED:
        raise Conflict(f"风险 {risk.id} 已于 {risk.closed_at:%Y-%m-%d %H:%M} 由 {risk.closed_by} 关闭")
    risk.status = RiskStatus.CLOSED
    risk.close_note = note.strip()
    risk.closed_by = closed_by
    risk.closed_at = datetime.now(UTC)
    session.flush()
    _audit(session, risk, "risk.closed", actor)
    return risk


def list_risks(
    session: Session,
    *,
    status: RiskStatus | None = None,
    category: RiskCategory | None = None,
    level: RiskLevel | None = None,
    order_id: int | None = None,
) -> list[Risk]:
    query = select(Risk).order_by(Risk.id)
    if status is not None:
        query = query.where(Risk.status == status)
    if category is not None:
        query = query.where(Risk.category == category)
    if level is not None:
        query = query.where(Risk.level == level)
    if order_id is not None:
        get_order(session, order_id)
        query = query.where(Risk.order_id == order_id)
    return list(session.scalars(query))


def report_rows(
    session: Session,
    *,
    start: date | None = None,
    end: date | None = None,
    salesperson: str | None = None,
    status: RiskStatus | None = None,
    category: RiskCategory | None = None,
) -> list[Risk]:
    """The risks the report counts (raised in the period, of one salesperson's orders): its drill-down list too."""
    if start and end and start > end:
        raise InvalidInput(("query", "start"), "must not be after end")
    query = select(Risk).order_by(Risk.raised_at, Risk.id)
    if start:
        query = query.where(factory_day_of(Risk.raised_at) >= start)
    if end:
        query = query.where(factory_day_of(Risk.raised_at) <= end)
    if salesperson:
        query = query.where(Risk.order_id.in_(select(Order.id).where(Order.salesperson == salesperson)))
    if status is not None:
        query = query.where(Risk.status == status)
    if category is not None:
        query = query.where(Risk.category == category)
    return list(session.scalars(query))


def report(
    session: Session, *, start: date | None = None, end: date | None = None, salesperson: str | None = None
) -> RiskReport:
    """Counts for the dashboard: open risks by category and level, all by status and source, open high risks.

    ``start``/``end`` bound the day a risk was raised; ``salesperson`` selects the orders of one salesperson.
    """
    risks = report_rows(session, start=start, end=end, salesperson=salesperson)
    open_ = [r for r in risks if r.status == RiskStatus.OPEN]

    def count(items: list[Risk], attr: str, labels: Mapping[Any, str]) -> list[RiskCount]:
        return [
            RiskCount(key=str(k.value), label=label, count=sum(getattr(r, attr) == k for r in items))
            for k, label in labels.items()
        ]

    return RiskReport(
        risks=len(risks),
        open_risks=len(open_),
        by_category=count(open_, "category", CATEGORY_LABELS),
        by_level=count(open_, "level", LEVEL_LABELS),
        by_status=count(risks, "status", STATUS_LABELS),
        by_source=count(risks, "source", SOURCE_LABELS),
        open_high=[RiskOut.model_validate(r) for r in open_ if r.level == RiskLevel.HIGH],
    )
