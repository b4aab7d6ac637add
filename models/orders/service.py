"""Order services: the business rules of taking and registering an order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from doorflow.settings import Settings
from models import audit, outbox
from models.audit import AuditEntry
from models.documents.tables import Document
from models.errors import Conflict, InvalidInput, NotFound
from models.orders.schemas import OrderIn
from models.orders.tables import (
    ORDER_NUMBER_SEQ,
    DoorLine,
    Order,
    OrderReview,
    OrderStatus,
    PriceApproval,
    PriceDecision,
)

PROCESS_ID = "door-order"

# Starts the order's process instance with the given variables and returns its id (Operaton).
ProcessStarter = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class OrderLimits:
    """What the factory can build: configuration, not constants."""

    max_width_mm: int
    max_height_mm: int
    max_quantity: int
    max_wall_thickness_mm: int = 1_000
    max_lines: int = 200
    max_total: Decimal = Decimal("99999999.99")

    @classmethod
    def from_settings(cls, settings: Settings) -> OrderLimits:
        return cls(
            max_width_mm=settings.order_max_door_width_mm,
            max_height_mm=settings.order_max_door_height_mm,
            max_quantity=settings.order_max_quantity_per_line,
            max_wall_thickness_mm=settings.order_max_wall_thickness_mm,
            max_lines=settings.order_max_lines,
            max_total=Decimal(settings.order_max_total),
        )


def validate_limits(data: OrderIn, limits: OrderLimits, today: date) -> None:
    """Rules beyond the schema; raises InvalidInput naming the first bad field."""
    if data.requested_delivery_date < today:
        raise InvalidInput(("body", "requested_delivery_date"), "must not be in the past")
    if len(data.lines) > limits.max_lines:
        raise InvalidInput(("body", "lines"), f"at most {limits.max_lines} door lines per order")
    total = sum((line.unit_price * line.quantity for line in data.lines), Decimal("0"))
    if total > limits.max_total:
        raise InvalidInput(("body", "lines"), f"order total {total} exceeds the maximum of {limits.max_total} CNY")
    for i, line in enumerate(data.lines):
        loc = ("body", "lines", i)
        if line.width_mm > limits.max_width_mm:
            raise InvalidInput((*loc, "width_mm"), f"exceeds the factory maximum of {limits.max_width_mm} mm")
        if line.height_mm > limits.max_height_mm:
            raise InvalidInput((*loc, "height_mm"), f"exceeds the factory maximum of {limits.max_height_mm} mm")
        if line.quantity > limits.max_quantity:
            raise InvalidInput((*loc, "quantity"), f"exceeds the maximum of {limits.max_quantity} per line")
        if line.wall_thickness_mm is not None and line.wall_thickness_mm > limits.max_wall_thickness_mm:
            max_wall = limits.max_wall_thickness_mm
            raise InvalidInput((*loc, "wall_thickness_mm"), f"exceeds the factory maximum of {max_wall} mm")


def create_order(
    session: Session,
    data: OrderIn,
    start_process: ProcessStarter,
    *,
    limits: OrderLimits,
    actor: str,
    today: date,
    created_by: str | None = None,
) -> Order:
    """Validate, store the order and start its lifecycle; ``today`` is the factory's day (number, past dates).

    ``created_by`` is the authenticated caller's user id (a shop front then sees the order it brought in).

    The start is the last step, so when the engine is unreachable the caller's rollback leaves
    nothing behind (no half-created order, no orphan instance).
    """
    validate_limits(data, limits, today)
    seq = session.execute(ORDER_NUMBER_SEQ.next_value()).scalar_one()
    order = Order(
        order_number=f"DO{today:%Y%m%d}-{seq:05d}",
        customer_name=data.customer_name,
        customer_phone=data.customer_phone,
        customer_email=data.customer_email,
        requested_discount_percent=data.requested_discount_percent,
        delivery_address=data.delivery_address,
        requested_delivery_date=data.requested_delivery_date,
        salesperson=data.salesperson,
        notes=data.notes,
        status=OrderStatus.RECEIVED,
        lines=[DoorLine(line_no=i + 1, **line.model_dump()) for i, line in enumerate(data.lines)],
        created_by=created_by,
    )
    session.add(order)
    session.flush()
    order.process_instance_id = start_process({"orderId": order.id, "orderNumber": order.order_number})
    audit.record(
        session,
        actor=actor,
        action="order.created",
        entity="order",
        entity_id=order.id,
        after={"order_number": order.order_number, "process_instance_id": order.process_instance_id},
    )
    return order


def get_order(session: Session, order_id: int, *, created_by: str | None = None) -> Order:
    """The order; with ``created_by`` only if that user created it, else NotFound as for a missing one."""
    query = select(Order).options(selectinload(Order.lines)).where(Order.id == order_id)
    if created_by is not None:
        query = query.where(Order.created_by == created_by)
    order = session.scalars(query).first()
    if order is None:
        raise NotFound("order", order_id)
    return order


def locked_order(session: Session, order_id: int) -> Order:
    """The order (with its lines), locked for this transaction: changes, holds and cancellations of one
    order are serialised."""
    order = session.scalars(
        select(Order).options(selectinload(Order.lines)).where(Order.id == order_id).with_for_update()
    ).first()
    if order is None:
        raise NotFound("order", order_id)
    return order


def list_orders(session: Session, *, limit: int = 50, offset: int = 0, created_by: str | None = None) -> list[Order]:
    """Newest first; with ``created_by`` only the orders that user created."""
    query = select(Order).options(selectinload(Order.lines)).order_by(Order.id.desc()).limit(limit).offset(offset)
    if created_by is not None:
        query = query.where(Order.created_by == created_by)
    return list(session.scalars(query))


def register_order(session: Session, order_id: int, *, actor: str) -> dict[str, Any]:
    """Mark a received order as registered; returns the variables the confirmation form shows."""
    order = get_order(session, order_id)
    if lifecycle_status(order) == OrderStatus.RECEIVED:
        change_status(session, order, OrderStatus.REGISTERED, actor=actor, action="order.registered")
    return {
        "orderNumber": order.order_number,
        "customerName": order.customer_name,
        "customerEmail": order.customer_email,
        "requestedDeliveryDate": order.requested_delivery_date.isoformat(),
        "totalAmount": str(order.total_amount),
        "lineCount": len(order.lines),
    }


def lifecycle_status(order: Order) -> OrderStatus:
    """Where the order is in its lifecycle: for an order on hold, the status it resumes to."""
    if order.status == OrderStatus.ON_HOLD and order.status_before_hold is not None:
        return order.status_before_hold
    return order.status


def change_status(session: Session, order: Order, status: OrderStatus, *, actor: str, action: str) -> None:
    """Move the order to ``status``; every move is in the audit trail (a repeat is a no-op).

    A step that was already running when a sales manager put the order on hold may still finish:
    its move is kept for the resume instead of ending the hold. A cancelled order stays cancelled.
    The status is read again under a row lock: a hold or cancellation that committed after this
    transaction first read the order must not be overwritten by a status read before it.
    """
    session.flush()
    session.refresh(order, attribute_names=["status", "status_before_hold"], with_for_update=True)
    if order.status == OrderStatus.CANCELLED:
        return
    if order.status == OrderStatus.ON_HOLD:
        before_hold = order.status_before_hold
        if before_hold == status:
            return
        order.status_before_hold = status
        audit.record(
            session,
            actor=actor,
            action=action,
            entity="order",
            entity_id=order.id,
            before={"status": OrderStatus.ON_HOLD.value, "status_before_hold": before_hold and before_hold.value},
            after={"status": OrderStatus.ON_HOLD.value, "status_before_hold": status.value},
        )
        return
    if order.status == status:
        return
    before = order.status
    order.status = status
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="order",
        entity_id=order.id,
        before={"status": before.value},
        after={"status": status.value},
    )


def record_fact(session: Session, order_id: int, *, actor: str, action: str, after: dict[str, Any]) -> None:
    """A lifecycle fact of the order (review, approval, contract, shipment …) for its audit trail and timeline."""
    audit.record(session, actor=actor, action=action, entity="order", entity_id=order_id, after=after)


@dataclass(frozen=True)
class DepartmentAnswer:
    ok: bool
    earliest_date: date | None
    comment: str | None


@dataclass(frozen=True)
class ReviewAnswers:
    production: DepartmentAnswer
    material: DepartmentAnswer
    installation: DepartmentAnswer


def record_review(
    session: Session, order_id: int, answers: ReviewAnswers, *, review_date: date, actor: str
) -> OrderReview:
    """Store one review round; the lead time it reports is what the feasibility table compares."""
    order = get_order(session, order_id)
    rounds = session.scalar(select(func.count()).select_from(OrderReview).where(OrderReview.order_id == order.id))
    target = order.delivery_date
    review = OrderReview(
        order_id=order.id,
        round=(rounds or 0) + 1,
        target_date=target,
        review_date=review_date,
        lead_time_days=(target - review_date).days,
        production_ok=answers.production.ok,
        production_earliest_date=answers.production.earliest_date,
        production_comment=answers.production.comment,
        material_ok=answers.material.ok,
        material_earliest_date=answers.material.earliest_date,
        material_comment=answers.material.comment,
        installation_ok=answers.installation.ok,
        installation_earliest_date=answers.installation.earliest_date,
        installation_comment=answers.installation.comment,
    )
    session.add(review)
    session.flush()
    change_status(session, order, OrderStatus.UNDER_REVIEW, actor=actor, action="order.under_review")
    record_fact(
        session,
        order.id,
        actor=actor,
        action="review.recorded",
        after={
            "review_id": review.id,
            "round": review.round,
            "production_ok": review.production_ok,
            "material_ok": review.material_ok,
            "installation_ok": review.installation_ok,
            "target_date": target.isoformat(),
            "lead_time_days": review.lead_time_days,
        },
    )
    return review


def _review(session: Session, review_id: int) -> OrderReview:
    review = session.get(OrderReview, review_id)
    if review is None:
        raise NotFound("order review", review_id)
    return review


def record_feasibility(session: Session, review_id: int, feasible: bool, reason: str, *, actor: str) -> OrderReview:
    """Keep the DMN table's verdict with its review round; the order goes to pricing or to negotiation."""
    review = _review(session, review_id)
    review.feasible = feasible
    review.reason = reason
    order = get_order(session, review.order_id)
    status = OrderStatus.PRICING if feasible else OrderStatus.NEGOTIATING
    change_status(session, order, status, actor=actor, action=f"order.{status.value}")
    record_fact(
        session,
        order.id,
        actor=actor,
        action="review.decided",
        after={"review_id": review.id, "round": review.round, "feasible": feasible, "reason": reason},
    )
    return review


def record_negotiation(
    session: Session, review_id: int, *, agreed_date: date | None, comment: str | None, actor: str
) -> Order:
    """Sales' outcome with the customer: a new agreed date (reviewed again) or no agreement (order rejected)."""
    review = _review(session, review_id)
    order = get_order(session, review.order_id)
    if agreed_date is not None and agreed_date <= review.review_date:
        raise InvalidInput(("agreedDeliveryDate",), "must be after the review date")
    review.negotiation_outcome = "agreed" if agreed_date else "rejected"
    review.negotiation_comment = comment
    if agreed_date is not None:
        before = order.agreed_delivery_date
        order.agreed_delivery_date = agreed_date
        audit.record(
            session,
            actor=actor,
            action="order.delivery_date_agreed",
            entity="order",
            entity_id=order.id,
            before={"agreed_delivery_date": before.isoformat() if before else None},
            after={"agreed_delivery_date": agreed_date.isoformat(), "comment": comment},
        )
        change_status(session, order, OrderStatus.UNDER_REVIEW, actor=actor, action="order.under_review")
    else:
        change_status(session, order, OrderStatus.REJECTED, actor=actor, action="order.rejected")
    return order


def price_order(
    session: Session, order_id: int, requested_discount_percent: Decimal | None, *, actor: str
) -> PriceApproval:
    """Compute this pricing round's figures: list total, discount (asked now, else on the order), net total."""
    order = get_order(session, order_id)
    discount = requested_discount_percent
    if discount is None:
        discount = order.requested_discount_percent or Decimal("0")
    if not Decimal("0") <= discount < Decimal("100"):
        raise InvalidInput(("requestedDiscountPercent",), "must be at least 0 and below 100")
    discount = discount.quantize(Decimal("0.01"))
    list_total = order.total_amount
    net_total = (list_total * (Decimal("100") - discount) / Decimal("100")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    rounds = session.scalar(select(func.count()).select_from(PriceApproval).where(PriceApproval.order_id == order.id))
    approval = PriceApproval(
        order_id=order.id,
        round=(rounds or 0) + 1,
        list_total=list_total,
        discount_percent=discount,
        net_total=net_total,
        decision=PriceDecision.PENDING,
    )
    session.add(approval)
    session.flush()
    change_status(session, order, OrderStatus.PRICING, actor=actor, action="order.pricing")
    record_fact(
        session,
        order.id,
        actor=actor,
        action="price.computed",
        after={
            "price_approval_id": approval.id,
            "round": approval.round,
            "list_total": str(list_total),
            "discount_percent": str(discount),
            "net_total": str(net_total),
        },
    )
    return approval


def record_price_decision(
    session: Session,
    approval_id: int,
    *,
    approver_group: str,
    approved: bool | None,
    comment: str | None,
    decided_by: str | None,
    actor: str,
) -> PriceApproval:
    """Keep who had to approve the price (DMN) and what they decided; ``none`` needs nobody."""
    approval = session.get(PriceApproval, approval_id)
    if approval is None:
        raise NotFound("price approval", approval_id)
    approval.approver_group = approver_group
    if approver_group == "none":
        approval.decision = PriceDecision.NOT_REQUIRED
    elif approved is None:
        raise InvalidInput(("priceApproved",), f"the {approver_group} decision is missing")
    else:
        approval.decision = PriceDecision.APPROVED if approved else PriceDecision.REFUSED
        approval.comment = comment
        approval.decided_by = decided_by
    record_fact(
        session,
        approval.order_id,
        actor=actor,
        action="price.decided",
        after={
            "price_approval_id": approval.id,
            "approver_group": approver_group,
            "decision": approval.decision.value,
            "comment": comment,
        },
    )
    return approval


def accepted_price(session: Session, order_id: int) -> PriceApproval:
    """The latest price round that needs no more approval: the figures the contract states."""
    approval = session.scalars(
        select(PriceApproval)
        .where(
            PriceApproval.order_id == order_id,
            PriceApproval.decision.in_([PriceDecision.APPROVED, PriceDecision.NOT_REQUIRED]),
        )
        .order_by(PriceApproval.round.desc())
    ).first()
    if approval is None:
        raise Conflict(f"order {order_id} has no accepted price")
    return approval


def record_deposit(session: Session, order_id: int, *, actor: str) -> Order:
    """The deposit is in: production may start."""
    order = get_order(session, order_id)
    record_fact(session, order.id, actor=actor, action="deposit.received", after={"order_number": order.order_number})
    change_status(session, order, OrderStatus.IN_PRODUCTION, actor=actor, action="order.in_production")
    return order


DEPOSIT_REMINDER_CHANNELS = ("phone", "email", "visit")


def record_deposit_reminder(session: Session, order_id: int, channel: str, note: str | None, *, actor: str) -> None:
    """Finance reminded the customer of the missing deposit: how, and what was said (one entry per reminder)."""
    if channel not in DEPOSIT_REMINDER_CHANNELS:
        raise InvalidInput(("depositReminderChannel",), f"must be one of {', '.join(DEPOSIT_REMINDER_CHANNELS)}")
    order = get_order(session, order_id)
    record_fact(
        session,
        order.id,
        actor=actor,
        action="deposit.reminded",
        after={"order_number": order.order_number, "channel": channel, "note": note},
    )


def deposit_paid(session: Session, order_id: int) -> bool:
    """True when the order's deposit installment is settled (the fact DepositReceived announces).

    A deposit a price change cancelled (nothing was paid and nothing is owed on it) counts as settled.

    A signed contract whose deposit is zero (deposit ratio set to 0) has nothing to wait for: no
    installment is collected for it and no DepositReceived will come, so that counts as paid too.
    """
    from models.collection.tables import Installment, InstallmentKind, InstallmentStatus
    from models.contracts.service import contract_of_order

    get_order(session, order_id)
    contract = contract_of_order(session, order_id)
    if contract is not None and contract.versions:
        deposit = [t for t in contract.versions[-1].payment_terms if t.get("kind") == "deposit"]
        if deposit and Decimal(str(deposit[0].get("amount"))) == 0:
            return True
    paid = session.scalar(
        select(Installment.id)
        .where(
            Installment.order_id == order_id,
            Installment.kind == InstallmentKind.DEPOSIT,
            Installment.status.in_([InstallmentStatus.PAID, InstallmentStatus.CANCELLED]),
        )
        .limit(1)
    )
    return paid is not None


def check_deposit_before_waiting(session: Session, order_id: int) -> bool:
    """Is the deposit paid already? If so the process will not wait, and its queued wake-up is withdrawn.

    Operaton buffers no message and the deposit may be paid days before the handover is confirmed:
    the stored installment is the fact, ``DepositReceived`` only the wake-up.
    """
    paid = deposit_paid(session, order_id)
    if paid:
        from models.collection.service import DEPOSIT_MESSAGE

        outbox.withdraw(session, DEPOSIT_MESSAGE, get_order(session, order_id).order_number)
    return paid


def stored_timeline(session: Session, order_id: int) -> list[AuditEntry]:
    """Every stored fact of the order, oldest first: its own audit trail plus its documents'."""
    order = get_order(session, order_id)
    doc_ids = [str(i) for i in session.scalars(select(Document.id).where(Document.order_id == order.id))]
    query = (
        select(AuditEntry)
        .where(
            or_(
                (AuditEntry.entity == "order") & (AuditEntry.entity_id == str(order.id)),
                (AuditEntry.entity == "document")
                & AuditEntry.entity_id.in_(doc_ids)
                & (AuditEntry.action != "document.read"),
            )
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(session.scalars(query))
