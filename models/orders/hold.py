"""Hold, resume and cancel an order: a sales manager's decision, always with a reason.

A hold suspends the order's whole process tree (door-order and its running call activities:
payment collection, production, installation) so nothing progresses and Cockpit shows it
suspended; a resume activates it again. A cancellation ends the process through its diagram: the
message ``OrderCancelled`` starts door-order's interrupting event subprocess 订单取消, whose
service task (:func:`complete_cancellation`) stops production, flags open purchases and settles
the collection. Documents are never touched. The engine is called last in each transaction, so
an unreachable engine rolls the decision back and nothing is half-done.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import audit, outbox
from models.errors import Conflict, InvalidInput
from models.orders.service import lifecycle_status, locked_order
from models.orders.tables import Order, OrderStatus

CANCEL_MESSAGE = "OrderCancelled"
ACTIONS = ("hold", "resume", "cancel")
# Nothing left to hold or cancel.
FINAL_STATUSES = frozenset({OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED})
STATUS_CN = {
    OrderStatus.RECEIVED: "已接收",
    OrderStatus.REGISTERED: "已登记",
    OrderStatus.UNDER_REVIEW: "评审中",
    OrderStatus.NEGOTIATING: "协商中",
    OrderStatus.REJECTED: "已拒绝",
    OrderStatus.PRICING: "定价中",
    OrderStatus.CONTRACTING: "合同中",
    OrderStatus.SIGNED: "已签署",
    OrderStatus.HANDED_OVER: "已交接",
    OrderStatus.IN_PRODUCTION: "生产中",
    OrderStatus.SHIPPED: "已发货",
    OrderStatus.INSTALLING: "安装中",
    OrderStatus.ACCEPTED: "已验收",
    OrderStatus.COMPLETED: "已完成",
    OrderStatus.ON_HOLD: "已暂停",
    OrderStatus.CANCELLED: "已取消",
}


class ProcessTree(Protocol):
    """What these services need of the engine (``doorflow.operaton.OperatonClient`` is one)."""

    def suspend_process_instance(self, process_instance_id: str) -> list[str]: ...

    def activate_process_instance(self, process_instance_id: str) -> list[str]: ...


def _reason(reason: str | None, loc: tuple[str | int, ...]) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(loc, "必须填写原因")
    if "\x00" in text:
        raise InvalidInput(loc, "含有不允许的字符")
    return text


def order_id_by_number(session: Session, order_number: str) -> int:
    """The id of the order a sales manager named by its number (the Tasklist start form)."""
    found = session.scalar(select(Order.id).where(Order.order_number == order_number.strip()))
    if found is None:
        raise Conflict(f"订单 {order_number.strip()} 不存在")
    return int(found)


def _refuse_final(order: Order, what: str) -> None:
    if order.status in FINAL_STATUSES:
        raise Conflict(f"订单 {order.order_number} {STATUS_CN[order.status]}，不能{what}")


def hold_order(
    session: Session, order_id: int, reason: str | None, engine: ProcessTree, *, actor: str, loc: tuple[str | int, ...]
) -> Order:
    """Put the order on hold: status on hold with the reason, its process tree suspended."""
    text = _reason(reason, loc)
    order = locked_order(session, order_id)
    if order.status == OrderStatus.ON_HOLD:
        raise Conflict(f"订单 {order.order_number} 已暂停（原因：{order.hold_reason}），不能重复暂停")
    _refuse_final(order, "暂停")
    before = order.status
    order.status_before_hold = before
    order.status = OrderStatus.ON_HOLD
    order.hold_reason = text
    order.held_at = datetime.now(UTC)
    order.held_by = actor
    session.flush()
    suspended = engine.suspend_process_instance(order.process_instance_id) if order.process_instance_id else []
    audit.record(
        session,
        actor=actor,
        action="order.held",
        entity="order",
        entity_id=order.id,
        before={"status": before.value},
        after={"status": OrderStatus.ON_HOLD.value, "reason": text, "suspended_instances": suspended},
    )
    return order


def resume_order(
    session: Session,
    order_id: int,
    reason: str | None,
    engine: ProcessTree,
    *,
    actor: str,
    loc: tuple[str | int, ...],
    message_ttl_s: int,
) -> Order:
    """Resume a held order where it stopped: its status back, its process tree active, wake-ups offered again."""
    text = _reason(reason, loc)
    order = locked_order(session, order_id)
    if order.status != OrderStatus.ON_HOLD:
        raise Conflict(f"订单 {order.order_number} {STATUS_CN[order.status]}，未暂停，不能恢复")
    resumed_to = lifecycle_status(order)
    held = {"status": OrderStatus.ON_HOLD.value, "reason": order.hold_reason, "held_by": order.held_by}
    offered = outbox.offer_again(session, order.order_number, order.held_at, message_ttl_s) if order.held_at else 0
    order.status = resumed_to
    order.status_before_hold = None
    order.hold_reason = None
    order.held_at = None
    order.held_by = None
    session.flush()
    activated = engine.activate_process_instance(order.process_instance_id) if order.process_instance_id else []
    audit.record(
        session,
        actor=actor,
        action="order.resumed",
        entity="order",
        entity_id=order.id,
        before=held,
        after={
            "status": resumed_to.value,
            "reason": text,
            "activated_instances": activated,
            "messages_offered_again": offered,
        },
    )
    return order


def cancel_order(
    session: Session,
    order_id: int,
    reason: str | None,
    engine: ProcessTree,
    *,
    actor: str,
    loc: tuple[str | int, ...],
    message_ttl_s: int,
) -> Order:
    """Cancel the order: status cancelled with the reason, and ``OrderCancelled`` for its process.

    A held order is activated first, so the message finds its instance waiting. When no instance
    runs any more (e.g. ended in Cockpit) the cancellation's work is done here at once.
    """
    text = _reason(reason, loc)
    order = locked_order(session, order_id)
    _refuse_final(order, "取消")
    before = lifecycle_status(order)
    if before == OrderStatus.ACCEPTED:
        raise Conflict(f"订单 {order.order_number} 已验收，不能取消")
    held = order.status == OrderStatus.ON_HOLD
    order.status = OrderStatus.CANCELLED
    order.status_before_hold = None
    order.cancel_reason = text
    order.cancelled_at = datetime.now(UTC)
    order.cancelled_by = actor
    session.flush()
    running = engine.activate_process_instance(order.process_instance_id) if order.process_instance_id else []
    audit.record(
        session,
        actor=actor,
        action="order.cancelled",
        entity="order",
        entity_id=order.id,
        before={"status": OrderStatus.ON_HOLD.value if held else before.value, "status_before_hold": before.value},
        after={"status": OrderStatus.CANCELLED.value, "reason": text, "activated_instances": running if held else []},
    )
    if running:
        outbox.enqueue(
            session,
            CANCEL_MESSAGE,
            f"order-cancelled:{order.id}",
            message_ttl_s,
            business_key=order.order_number,
            variables={"cancelReason": text},
        )
    else:
        complete_cancellation(session, order.id, actor=actor)
    return order


def complete_cancellation(session: Session, order_id: int, *, actor: str) -> dict[str, Any]:
    """The cancellation's work (door-order's 执行订单取消): stop production, flag purchases, settle collection.

    Open production plans and their unfinished stages are cancelled; purchase orders still open are
    flagged for purchasing to settle with the supplier; installments not paid in full are cancelled
    (what was paid on them stays recorded) and the order records the amount owed back to the
    customer, summed from the installments read under lock. Documents are kept. A repeat finds nothing
    left to do and answers the same totals.
    """
    from models.collection.tables import Installment, InstallmentStatus
    from models.production.tables import (
        PlanStatus,
        ProductionPlan,
        PurchaseOrder,
        PurchaseStatus,
        StageStatus,
    )

    order = locked_order(session, order_id)
    if order.status != OrderStatus.CANCELLED:
        raise Conflict(f"订单 {order.order_number} 未取消（{STATUS_CN[order.status]}）")
    now = datetime.now(UTC)
    plans = session.scalars(
        select(ProductionPlan)
        .options(selectinload(ProductionPlan.stages))
        .where(
            ProductionPlan.order_id == order.id,
            ProductionPlan.status.in_([PlanStatus.DRAFT, PlanStatus.APPROVED]),
        )
    )
    plans_cancelled = 0
    for plan in plans:
        stages = [s for s in plan.stages if s.status in (StageStatus.PLANNED, StageStatus.IN_PROGRESS)]
        for stage in stages:
            stage.status = StageStatus.CANCELLED
        audit.record(
            session,
            actor=actor,
            action="production_plan.cancelled",
            entity="production_plan",
            entity_id=plan.id,
            before={"status": plan.status.value},
            after={"status": PlanStatus.CANCELLED.value, "stages_cancelled": [s.seq for s in stages]},
        )
        plan.status = PlanStatus.CANCELLED
        plans_cancelled += 1
    purchases = session.scalars(
        select(PurchaseOrder).where(
            PurchaseOrder.order_id == order.id,
            PurchaseOrder.status.in_([PurchaseStatus.ORDERED, PurchaseStatus.RECEIVED]),
            PurchaseOrder.cancellation_requested_at.is_(None),
        )
    )
    purchases_flagged = 0
    for po in purchases:
        po.cancellation_requested_at = now
        audit.record(
            session,
            actor=actor,
            action="purchase_order.cancellation_requested",
            entity="purchase_order",
            entity_id=po.id,
            after={"number": po.number, "status": po.status.value, "order_number": order.order_number},
        )
        purchases_flagged += 1
    # The installments whose payments make the refund, locked (in seq order, as every re-plan locks them): a
    # payment being recorded on one (record_payment holds its row) commits first and is counted here, and a
    # payment arriving after this finds its installment cancelled and is refused. Re-read, not from the session.
    installments = list(
        session.scalars(
            select(Installment)
            .where(Installment.order_id == order.id)
            .order_by(Installment.seq)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    installments_cancelled = 0
    for inst in installments:
        if inst.status in (InstallmentStatus.PAID, InstallmentStatus.CANCELLED):
            continue
        audit.record(
            session,
            actor=actor,
            action="installment.cancelled",
            entity="installment",
            entity_id=inst.id,
            before={"status": inst.status.value, "balance": str(inst.amount - inst.paid_amount)},
            after={"status": InstallmentStatus.CANCELLED.value, "paid_amount": str(inst.paid_amount)},
        )
        inst.status = InstallmentStatus.CANCELLED
        installments_cancelled += 1
    paid = sum((inst.paid_amount for inst in installments), Decimal("0.00"))
    withdrawn = outbox.withdraw_for_order(session, order.order_number, CANCEL_MESSAGE, "the order was cancelled")
    if order.refund_due is None:
        order.refund_due = paid
        audit.record(
            session,
            actor=actor,
            action="order.cancellation_completed",
            entity="order",
            entity_id=order.id,
            after={
                "production_plans_cancelled": plans_cancelled,
                "purchase_orders_flagged": purchases_flagged,
                "installments_cancelled": installments_cancelled,
                "paid_amount": str(paid),
                "refund_due": str(paid),
                "messages_withdrawn": withdrawn,
            },
        )
    session.flush()
    return {"refundDue": str(order.refund_due), "installmentsCancelled": installments_cancelled}
