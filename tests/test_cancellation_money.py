"""Issue 16 item 13: a payment committing while the order's cancellation step runs is counted in refund_due.

Real PostgreSQL, two connections in two threads: one records a payment and holds its transaction open, the
other runs the cancellation step meanwhile; then the payment commits. The trial saw 22,397.40 refunded instead
of 27,397.40: the step summed the paid amounts from a read taken before the payment committed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from models.collection import service as collection
from models.collection.schemas import PaymentIn, ScheduleItem
from models.collection.tables import Installment, InstallmentKind, InstallmentStatus
from models.errors import Conflict
from models.orders.hold import complete_cancellation
from models.orders.tables import Order, OrderStatus

DEPOSIT, BALANCE = Decimal("10000.00"), Decimal("30000.00")
PAID_BEFORE = Decimal("12397.40")  # on the balance, before the cancellation
PAID_DURING = Decimal("5000.00")


def _cancelled_order(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """A cancelled order (its cancellation step not run yet): deposit paid, balance partly paid. (order, balance)"""
    with sessions() as s, s.begin():
        order = Order(
            order_number=f"DO20991231-{uuid.uuid4().hex[:8]}",
            customer_name="并发退款测试有限公司",
            delivery_address="宁波市鄞州区天童南路 1 号",
            requested_delivery_date=date(2099, 6, 30),
            status=OrderStatus.REGISTERED,
        )
        s.add(order)
        s.flush()
        schedule = [
            ScheduleItem(kind=InstallmentKind.DEPOSIT, amount=DEPOSIT, due_date=date(2099, 1, 10)),
            ScheduleItem(kind=InstallmentKind.FINAL, amount=BALANCE, due_date=date(2099, 3, 10)),
        ]
        collection.register_installments(
            s, order_id=order.id, order_number=order.order_number, schedule=schedule, contract_number=None,
            customer_name=order.customer_name, customer_email=None, actor="test", process_instance_id=None,
        )  # fmt: skip
        deposit, balance = collection.list_installments(s, order_id=order.id)
        _pay(s, deposit.id, DEPOSIT)
        _pay(s, balance.id, PAID_BEFORE)
        order.status = OrderStatus.CANCELLED
        return order.id, balance.id


def _pay(s: Session, installment_id: int, amount: Decimal) -> None:
    today = datetime.now(UTC).date()  # the order was received today, in the same zone
    data = PaymentIn(external_reference=f"BANK-{uuid.uuid4().hex[:12]}", amount=amount, paid_on=today)
    collection.record_payment(s, installment_id, data, lambda *_: None, actor="test", today=today, zone=UTC)


def _wait_until_blocked(db: Engine, what: str) -> None:
    """Until some connection of this database waits for a row lock (the other thread reached it)."""
    deadline = time.monotonic() + 20
    with db.connect() as c:
        while time.monotonic() < deadline:
            waiting = c.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError(f"{what} never waited for the lock")


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _cancel(sessions: sessionmaker[Session], order_id: int) -> dict[str, Any]:
    with sessions() as s, s.begin():
        return complete_cancellation(s, order_id, actor="test-cancellation")


def test_a_payment_committing_during_the_cancellation_is_in_the_refund(
    db: Engine, sessions: sessionmaker[Session]
) -> None:
    order_id, balance_id = _cancelled_order(sessions)
    paying = sessions()
    paying.begin()
    try:
        _pay(paying, balance_id, PAID_DURING)  # stored and flushed, its installment row held, not committed
        cancelling, outcome = _in_thread(lambda: _cancel(sessions, order_id))
        _wait_until_blocked(db, "the cancellation step")
        paying.commit()  # the payment commits while the cancellation step runs
    finally:
        paying.close()
    cancelling.join(30)
    assert not cancelling.is_alive() and "error" not in outcome, outcome
    expected = DEPOSIT + PAID_BEFORE + PAID_DURING  # 27,397.40
    assert outcome["result"]["refundDue"] == str(expected)
    with sessions() as s:
        order = s.get(Order, order_id)
        assert order is not None and order.refund_due == expected
        balance = s.get(Installment, balance_id)
        assert balance is not None
        assert (balance.status, balance.paid_amount) == (InstallmentStatus.CANCELLED, PAID_BEFORE + PAID_DURING)


def test_a_payment_arriving_during_the_cancellation_waits_and_is_refused(
    db: Engine, sessions: sessionmaker[Session]
) -> None:
    """The other order: the cancellation holds the installments, the payment waits and then finds them cancelled."""
    order_id, balance_id = _cancelled_order(sessions)
    cancelling = sessions()
    cancelling.begin()
    try:
        result = complete_cancellation(cancelling, order_id, actor="test-cancellation")
        paying, outcome = _in_thread(lambda: _pay_alone(sessions, balance_id))
        _wait_until_blocked(db, "the payment")
        cancelling.commit()
    finally:
        cancelling.close()
    paying.join(30)
    assert isinstance(outcome.get("error"), Conflict), outcome
    assert result["refundDue"] == str(DEPOSIT + PAID_BEFORE)
    with sessions() as s:
        paid = s.scalars(select(Installment.paid_amount).where(Installment.id == balance_id)).one()
    assert paid == PAID_BEFORE  # nothing was stored on the cancelled installment


def _pay_alone(sessions: sessionmaker[Session], installment_id: int) -> None:
    with sessions() as s, s.begin():
        _pay(s, installment_id, PAID_DURING)
