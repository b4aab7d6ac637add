"""Change-request services: take a request, record its assessment and reviews, apply or reject it.

A change never restarts the order: applying it updates the order and its door lines in place,
writes a new numbered order revision (the snapshot after the change) and an audit entry with the
order before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import audit
from models.changes.schemas import ChangeRequestIn
from models.changes.tables import (
    ChangeChannel,
    ChangeRequest,
    ChangeReview,
    ChangeStatus,
    Department,
    OrderRevision,
    QualityImpact,
)
from models.collection import service as collection
from models.contracts import service as contracts
from models.contracts.service import ContractTerms
from models.costs import service as costs
from models.documents import service as documents
from models.documents.tables import DocumentCategory
from models.errors import Conflict, InvalidInput, NotFound
from models.orders import service as orders
from models.orders.service import OrderLimits
from models.orders.tables import DoorLine, DoorType, Handing, Order, OrderStatus
from models.production import service as production
from models.risks import service as risks
from models.risks.tables import RiskSource

MESSAGE_NAME = "ChangeRequested"
# Orders a customer can no longer change (REQUIREMENTS §8: "at any time before acceptance").
CLOSED_STATUSES = frozenset({OrderStatus.ACCEPTED, OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED})

# Queues the wake-up for the order's process: (business key = order number, variables, message id).
Publisher = Callable[[str, dict[str, Any], str], None]

CHANNELS_CN = {
    ChangeChannel.PHONE: "电话",
    ChangeChannel.EMAIL: "邮件",
    ChangeChannel.VISIT: "面谈",
    ChangeChannel.API: "系统接口",
    ChangeChannel.OTHER: "其他",
}
QUALITY_CN = {QualityImpact.NONE: "无影响", QualityImpact.MINOR: "轻微", QualityImpact.SIGNIFICANT: "显著"}
DEPARTMENTS_CN = {Department.TECHNICAL: "技术部", Department.PRODUCTION: "生产部", Department.FINANCE: "财务部"}
FIELD_NAMES_CN = {
    "door_type": "门型",
    "width_mm": "宽(mm)",
    "height_mm": "高(mm)",
    "wall_thickness_mm": "墙厚(mm)",
    "material": "材质",
    "finish": "饰面",
    "handing": "开向",
    "lock_hardware": "锁具五金",
    "quantity": "数量",
    "unit_price": "单价(元)",
}


def validate_request(order: Order, data: ChangeRequestIn, limits: OrderLimits, today: date) -> None:
    """Rules that need the order; raises InvalidInput naming the first bad field."""
    if data.new_delivery_date is not None and data.new_delivery_date < today:
        raise InvalidInput(("body", "new_delivery_date"), "must not be in the past")
    line_nos = {line.line_no for line in order.lines}
    seen: set[int] = set()
    for i, change in enumerate(data.line_changes):
        loc = ("body", "line_changes", i)
        if change.line_no not in line_nos:
            raise InvalidInput((*loc, "line_no"), f"order {order.order_number} has no door line {change.line_no}")
        if change.line_no in seen:
            raise InvalidInput((*loc, "line_no"), f"door line {change.line_no} is changed twice in one request")
        seen.add(change.line_no)
        if change.width_mm is not None and change.width_mm > limits.max_width_mm:
            raise InvalidInput((*loc, "width_mm"), f"exceeds the factory maximum of {limits.max_width_mm} mm")
        if change.height_mm is not None and change.height_mm > limits.max_height_mm:
            raise InvalidInput((*loc, "height_mm"), f"exceeds the factory maximum of {limits.max_height_mm} mm")
        if change.quantity is not None and change.quantity > limits.max_quantity:
            raise InvalidInput((*loc, "quantity"), f"exceeds the maximum of {limits.max_quantity} per line")
        wall = change.wall_thickness_mm
        if wall is not None and wall > limits.max_wall_thickness_mm:
            max_wall = limits.max_wall_thickness_mm
            raise InvalidInput((*loc, "wall_thickness_mm"), f"exceeds the factory maximum of {max_wall} mm")


def request_change(
    session: Session,
    order_id: int,
    data: ChangeRequestIn,
    publish: Publisher,
    *,
    limits: OrderLimits,
    actor: str,
    today: date,
) -> ChangeRequest:
    """Store the request with its ``ChangeRequested`` wake-up (the outbox, same transaction) for the order's process.

    ``today`` is the factory's day: a new delivery date before it is refused."""
    order = orders.locked_order(session, order_id)
    if order.status in CLOSED_STATUSES:
        raise Conflict(f"order {order.order_number} is {order.status.value}; it can no longer be changed")
    validate_request(order, data, limits, today)
    request_no = (
        session.scalar(select(func.max(ChangeRequest.request_no)).where(ChangeRequest.order_id == order.id)) or 0
    ) + 1
    change = ChangeRequest(
        order_id=order.id,
        request_no=request_no,
        change_number=f"{order.order_number}-C{request_no:02d}",
        description=data.description,
        line_changes=[{"line_no": c.line_no, **c.changed_fields()} for c in data.line_changes],
        new_delivery_date=data.new_delivery_date,
        price_delta=data.price_delta,
        requested_by=data.requested_by,
        channel=data.channel,
        status=ChangeStatus.RECEIVED,
    )
    session.add(change)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="change.requested",
        entity="change_request",
        entity_id=change.id,
        after={"order_id": order.id, "change_number": change.change_number, "description": change.description},
    )
    publish(order.order_number, {"changeRequestId": change.id}, f"change-request-{change.id}")
    return change


def get_change(session: Session, change_id: int) -> ChangeRequest:
    change = session.scalars(
        select(ChangeRequest).options(selectinload(ChangeRequest.reviews)).where(ChangeRequest.id == change_id)
    ).first()
    if change is None:
        raise NotFound("change request", change_id)
    return change


def list_changes(session: Session, order_id: int) -> list[ChangeRequest]:
    if session.get(Order, order_id) is None:
        raise NotFound("order", order_id)
    query = (
        select(ChangeRequest)
        .options(selectinload(ChangeRequest.reviews))
        .where(ChangeRequest.order_id == order_id)
        .order_by(ChangeRequest.request_no)
    )
    return list(session.scalars(query))


def summary(change: ChangeRequest) -> str:
    """What the request changes, in Chinese, for the people who assess and review it."""
    parts = []
    for line in change.line_changes:
        fields = "，".join(f"{FIELD_NAMES_CN.get(k, k)}改为 {v}" for k, v in line.items() if k != "line_no")
        parts.append(f"第 {line['line_no']} 行：{fields}")
    if change.new_delivery_date is not None:
        parts.append(f"交货日期改为 {change.new_delivery_date.isoformat()}")
    if change.price_delta is not None:
        parts.append(f"价格调整 {change.price_delta:+} 元")
    return "；".join(parts) or "无结构化变更（见变更内容）"


def load_change(session: Session, change_id: int) -> dict[str, Any]:
    """The variables the assessment and review forms show."""
    change = get_change(session, change_id)
    return {
        "changeNumber": change.change_number,
        "changeDescription": change.description,
        "changeRequestedBy": change.requested_by,
        "changeSummary": summary(change),
    }


def record_assessment(
    session: Session,
    change_id: int,
    *,
    schedule_days: int,
    quality: QualityImpact,
    cost_delta: Decimal,
    note: str | None,
    major: bool,
    reason: str,
    actor: str,
) -> dict[str, Any]:
    """Store the project department's assessment and the change-impact decision (once)."""
    change = get_change(session, change_id)
    if change.status == ChangeStatus.RECEIVED:
        change.schedule_impact_days = schedule_days
        change.quality_impact = quality
        change.cost_delta = cost_delta
        change.assessment_note = note
        change.major = major
        change.impact_reason = reason
        change.assessed_at = datetime.now(UTC)
        change.status = ChangeStatus.ASSESSED
        audit.record(
            session,
            actor=actor,
            action="change.assessed",
            entity="change_request",
            entity_id=change.id,
            before={"status": ChangeStatus.RECEIVED.value},
            after={
                "status": change.status.value,
                "schedule_impact_days": schedule_days,
                "quality_impact": quality.value,
                "cost_delta": str(cost_delta),
                "major": major,
                "impact_reason": reason,
            },
        )
        if major:
            risks.raise_auto(
                session,
                change.order_id,
                RiskSource.MAJOR_CHANGE,
                change.id,
                f"重大变更 {change.change_number}",
                reason,
                "组织相关部门评审并报客户批准后调整计划",
                actor=actor,
            )
    return {"changeIsMajor": bool(change.major)}


def record_reviews(
    session: Session, change_id: int, reviews: dict[Department, tuple[bool, str]], *, actor: str
) -> dict[str, Any]:
    """Store each department's review of a major change; passed only when every department agrees."""
    change = get_change(session, change_id)
    if not change.major:
        raise Conflict(f"change request {change.change_number} is not a major change; no department review")
    done = {r.department for r in change.reviews}
    for department, (approved, comment) in reviews.items():
        if department in done:
            continue
        change.reviews.append(ChangeReview(department=department, approved=approved, comment=comment))
        audit.record(
            session,
            actor=actor,
            action="change.reviewed",
            entity="change_request",
            entity_id=change.id,
            after={"department": department.value, "approved": approved, "comment": comment},
        )
    session.flush()
    return {"changeReviewsPassed": all(r.approved for r in change.reviews)}


def reject_change(
    session: Session, change_id: int, *, customer_approved: bool | None, customer_note: str | None, actor: str
) -> dict[str, Any]:
    """Close the request unapplied: a department or the customer said no. The order stays as it was."""
    change = get_change(session, change_id)
    if change.status == ChangeStatus.APPLIED:
        raise Conflict(f"change request {change.change_number} was already applied")
    if change.status != ChangeStatus.REJECTED:
        before = change.status
        against = [f"{r.department.value}: {r.comment}" for r in change.reviews if not r.approved]
        if against:
            reason = "部门不同意 — " + "；".join(against)
        else:
            reason = "客户不同意" + (f" — {customer_note}" if customer_note else "")
        change.customer_approved = customer_approved
        change.customer_note = customer_note
        change.rejection_reason = reason
        change.decided_at = datetime.now(UTC)
        change.status = ChangeStatus.REJECTED
        audit.record(
            session,
            actor=actor,
            action="change.rejected",
            entity="change_request",
            entity_id=change.id,
            before={"status": before.value},
            after={"status": change.status.value, "reason": reason},
        )
    return {}


def order_snapshot(order: Order) -> dict[str, Any]:
    """The parts of an order a change can touch, JSON-safe, for revisions and the audit trail."""
    return {
        "requested_delivery_date": order.requested_delivery_date.isoformat(),
        "notes": order.notes,
        "total_amount": str(order.total_amount),
        "lines": [
            {
                "line_no": line.line_no,
                "door_type": line.door_type.value,
                "width_mm": line.width_mm,
                "height_mm": line.height_mm,
                "wall_thickness_mm": line.wall_thickness_mm,
                "material": line.material,
                "finish": line.finish,
                "handing": line.handing.value,
                "lock_hardware": line.lock_hardware,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
            }
            for line in order.lines
        ],
    }


def current_revision(session: Session, order_id: int) -> int:
    """The order's revision number: 1 until a change is applied."""
    return session.scalar(select(func.max(OrderRevision.revision)).where(OrderRevision.order_id == order_id)) or 1


_PARSE: dict[str, Callable[[Any], Any]] = {"unit_price": Decimal, "door_type": DoorType, "handing": Handing}


def _set_line(line: DoorLine, values: dict[str, Any]) -> None:
    """Set the stored (JSON) values of a line change on the door line, with their Python types."""
    for name, value in values.items():
        if name != "line_no":
            setattr(line, name, _PARSE.get(name, lambda v: v)(value))


def apply_change(
    session: Session,
    change_id: int,
    *,
    customer_approved: bool | None,
    customer_note: str | None,
    terms: ContractTerms,
    wake: collection.WakeUps,
    actor: str,
) -> dict[str, Any]:
    """Update the order in place and number the result as a new revision; a repeat changes nothing.

    A change with a money effect also amends the contract and re-plans the installments (``_settle_money``).
    """
    change = get_change(session, change_id)
    if change.status == ChangeStatus.APPLIED:
        return {"changeRevision": change.applied_revision}
    if change.status not in (ChangeStatus.ASSESSED, ChangeStatus.APPROVED):
        raise Conflict(f"change request {change.change_number} is {change.status.value}; it cannot be applied")
    order = orders.locked_order(session, change.order_id)
    if order.status in CLOSED_STATUSES:
        raise Conflict(f"order {order.order_number} is {order.status.value}; the change can no longer be applied")
    if change.major:
        if customer_approved is not True:
            raise Conflict(f"major change {change.change_number} needs the customer's approval")
        change.customer_approved = True
        change.customer_note = customer_note
        change.decided_at = datetime.now(UTC)
        change.status = ChangeStatus.APPROVED
        audit.record(
            session,
            actor=actor,
            action="change.approved",
            entity="change_request",
            entity_id=change.id,
            before={"status": ChangeStatus.ASSESSED.value},
            after={"status": change.status.value, "customer_note": customer_note},
        )

    before = order_snapshot(order)
    revision_before = current_revision(session, order.id)
    if session.scalar(select(OrderRevision.id).where(OrderRevision.order_id == order.id).limit(1)) is None:
        # The first change also keeps the order as it was first taken, as revision 1.
        session.add(OrderRevision(order_id=order.id, revision=1, snapshot=before, created_by=actor))
    lines = {line.line_no: line for line in order.lines}
    for values in change.line_changes:
        _set_line(lines[int(values["line_no"])], values)
    if change.new_delivery_date is not None:
        # The customer asked for it and the factory approved the change: it is also the date now promised.
        order.requested_delivery_date = change.new_delivery_date
        order.agreed_delivery_date = change.new_delivery_date
    note = f"变更 {change.change_number}：{change.description}"
    order.notes = f"{order.notes}\n{note}" if order.notes else note
    session.flush()

    revision = revision_before + 1
    after = order_snapshot(order)
    session.add(
        OrderRevision(
            order_id=order.id, revision=revision, change_request_id=change.id, snapshot=after, created_by=actor
        )
    )
    previous = change.status
    change.status = ChangeStatus.APPLIED
    change.applied_at = datetime.now(UTC)
    change.applied_revision = revision
    audit.record(
        session,
        actor=actor,
        action="order.changed",
        entity="order",
        entity_id=order.id,
        before={"revision": revision_before, **before},
        after={"revision": revision, "change_number": change.change_number, **after},
    )
    _settle_money(session, change, order, before, after, terms, wake, actor)
    _store_change_order(session, change, order, before, after, revision_before, actor)
    # The plan follows the order: an assessed schedule impact moves the running production plan.
    production.shift_plan_for_change(
        session, order.id, change.schedule_impact_days or 0, f"变更 {change.change_number}", actor=actor
    )
    # The cost budget follows too: an assessed cost makes a new budget version.
    costs.budget_for_change(session, order.id, change.id, change.cost_delta or Decimal("0"), actor=actor)
    audit.record(
        session,
        actor=actor,
        action="change.applied",
        entity="change_request",
        entity_id=change.id,
        before={"status": previous.value},
        after={"status": change.status.value, "revision": revision},
    )
    session.flush()
    return {"changeRevision": revision}


def money_effect(session: Session, order: Order, before: dict[str, Any], change: ChangeRequest) -> Decimal:
    """What the change does to the agreed price: the re-priced lines at the agreed discount, plus ``price_delta``.

    Before a price is agreed the lines are priced later anyway, so only ``price_delta`` counts then.
    """
    delta = change.price_delta or Decimal("0.00")
    try:
        price = orders.accepted_price(session, order.id)
    except Conflict:
        return delta
    keep = (Decimal("100") - price.discount_percent) / Decimal("100")
    old_net = (Decimal(before["total_amount"]) * keep).quantize(contracts.CENT, ROUND_HALF_UP)
    new_net = (order.total_amount * keep).quantize(contracts.CENT, ROUND_HALF_UP)
    return new_net - old_net + delta


def _settle_money(
    session: Session,
    change: ChangeRequest,
    order: Order,
    before: dict[str, Any],
    after: dict[str, Any],
    terms: ContractTerms,
    wake: collection.WakeUps,
    actor: str,
) -> None:
    """Count the change's money effect on the order, and with a contract amend it and re-plan the installments."""
    delta = money_effect(session, order, before, change)
    change.money_delta = delta
    if delta == 0:
        return
    order.price_adjustment = order.price_adjustment + delta
    contract = contracts.contract_of_order(session, order.id)
    if contract is None:
        return  # the contract, when drafted, states the accepted price plus the adjustment
    total_before = contract.total_amount
    total_after = total_before + delta
    if total_after < 0:
        raise InvalidInput(
            ("price_delta",),
            f"change {change.change_number} would make the contract total {total_after} CNY; it must not be negative",
        )
    reason = f"变更 {change.change_number}"
    replan = collection.replan_installments(session, order.id, total_after, wake, reason=reason, actor=actor)
    amendment = contracts.Amendment(
        change_number=change.change_number,
        description=change.description,
        total_before=total_before,
        money_delta=delta,
        total_after=total_after,
        rows=_compare(before, after),
        installments=replan.installments if replan else [],
        credit_due=replan.credit_due if replan else Decimal("0.00"),
        extra_due=replan.extra_due if replan else Decimal("0.00"),
    )
    version = contracts.amend_for_change(session, contract, amendment, terms, actor=actor)
    change.contract_total_before, change.contract_total_after = total_before, total_after
    change.contract_version = version.version
    change.credit_due, change.extra_due = amendment.credit_due, amendment.extra_due
    audit.record(
        session,
        actor=actor,
        action="change.money_counted",
        entity="change_request",
        entity_id=change.id,
        after={
            "money_delta": str(delta),
            "contract_total_before": str(total_before),
            "contract_total_after": str(total_after),
            "contract_version": version.version,
            "credit_due": str(amendment.credit_due),
            "extra_due": str(amendment.extra_due),
            "order_price_adjustment": str(order.price_adjustment),
        },
    )


def _compare(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of the change order: every value that differs, line by line."""
    rows = []
    if before["requested_delivery_date"] != after["requested_delivery_date"]:
        rows.append(
            {"item": "交货日期", "before": before["requested_delivery_date"], "after": after["requested_delivery_date"]}
        )
    for old, new in zip(before["lines"], after["lines"], strict=True):
        for name, label in FIELD_NAMES_CN.items():
            if old[name] != new[name]:
                rows.append(
                    {"item": f"第 {old['line_no']} 行 {label}", "before": str(old[name]), "after": str(new[name])}
                )
    return rows


def _store_change_order(
    session: Session,
    change: ChangeRequest,
    order: Order,
    before: dict[str, Any],
    after: dict[str, Any],
    revision_before: int,
    actor: str,
) -> None:
    """The change order (订单变更单) amends the contract: filed with the contract documents."""
    documents.store(
        session,
        subject=f"change:{change.id}",
        kind="change_order",
        category=DocumentCategory.CONTRACT,
        title=f"订单变更单 {change.change_number}",
        template="change-order.html.j2",
        context={
            "change": change,
            "order": order,
            "channel": CHANNELS_CN[change.channel],
            "quality": QUALITY_CN[change.quality_impact] if change.quality_impact else "未评估",
            "departments": {d.value: name for d, name in DEPARTMENTS_CN.items()},
            "before": before,
            "after": after,
            "rows": _compare(before, after),
            "revision_before": revision_before,
            "revision": revision_before + 1,
            "applied_at": change.applied_at,
        },
        actor=actor,
        order_id=order.id,
    )
