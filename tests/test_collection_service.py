"""Collection rules that need PostgreSQL but no engine: schedule timing, idempotent registration, the report."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from models.collection import service
from models.collection.schemas import ScheduleItem
from models.collection.tables import Installment, InstallmentKind, InstallmentStatus
from models.errors import Conflict, InvalidInput
from models.orders.tables import Order, OrderStatus

BEIJING = timezone(timedelta(hours=8))


def test_notice_and_overdue_times_are_local_factory_times() -> None:
    timing = service.Schedule.parse(7, "09:00", "+08:00")
    assert timing.notice_at(date(2030, 3, 10)) == datetime(2030, 3, 3, 9, 0, tzinfo=BEIJING)
    assert timing.overdue_at(date(2030, 3, 10)) == datetime(2030, 3, 11, 0, 0, tzinfo=BEIJING)
    assert service.Schedule.parse(0, "08:30", "-05:30").notice_at(date(2030, 1, 1)).isoformat() == (
        "2030-01-01T08:30:00-05:30"
    )


def _order(s: Session, customer: str) -> Order:
    order = Order(
        order_number=f"DO20400101-{uuid.uuid4().hex[:8]}",
        customer_name=customer,
        delivery_address="宁波市鄞州区天童南路 1 号",
        requested_delivery_date=date(2040, 6, 30),
        status=OrderStatus.REGISTERED,
    )
    s.add(order)
    s.flush()
    return order


def _register(s: Session, order: Order, schedule: list[ScheduleItem], pik: int | None = None) -> list[Installment]:
    return service.register_installments(
        s,
        order_id=order.id,
        order_number=order.order_number,
        schedule=schedule,
        contract_number=None,
        customer_name=order.customer_name,
        customer_email=None,
        actor="test",
        process_instance_key=pik,
    )


def test_registration_is_idempotent_per_order(sessions: sessionmaker[Session]) -> None:
    schedule = [
        ScheduleItem(kind=InstallmentKind.DEPOSIT, amount=Decimal("3000.00"), due_date=date(2040, 1, 10)),
        ScheduleItem(kind=InstallmentKind.FINAL, amount=Decimal("7000.00"), due_date=date(2040, 3, 10)),
    ]
    with sessions() as s:
        order = _order(s, "宁波测试客户甲")
        first = [i.id for i in _register(s, order, schedule, pik=101)]
        again = [i.id for i in _register(s, order, schedule[:1], pik=101)]  # a re-run never adds or drops rows
        assert first == again and len(first) == 2
        with pytest.raises(Conflict, match="already being collected by process instance 101"):
            _register(s, order, schedule, pik=202)  # a second collection would dun the customer twice
        with pytest.raises(InvalidInput):
            _register(s, _order(s, "宁波测试客户乙"), [])
        s.rollback()


def test_report_counts_collection_rate_and_ageing(sessions: sessionmaker[Session]) -> None:
    as_of = date(2041, 6, 30)
    with sessions() as s:
        before = service.collection_report(s, as_of, [30, 60, 90])
        order = _order(s, f"宁波测试客户-{uuid.uuid4().hex[:6]}")
        rows = _register(
            s,
            order,
            [
                ScheduleItem(kind=InstallmentKind.DEPOSIT, amount=Decimal("1000.00"), due_date=date(2041, 6, 20)),
                ScheduleItem(kind=InstallmentKind.PROGRESS, amount=Decimal("2000.00"), due_date=date(2041, 5, 1)),
                ScheduleItem(kind=InstallmentKind.FINAL, amount=Decimal("4000.00"), due_date=date(2041, 1, 1)),
                ScheduleItem(kind=InstallmentKind.FINAL, amount=Decimal("9000.00"), due_date=date(2041, 12, 1)),
            ],
        )
        rows[0].paid_amount = Decimal("1000.00")  # paid: not overdue
        rows[0].status = InstallmentStatus.PAID
        rows[1].paid_amount = Decimal("500.00")  # 60 days overdue, 1500.00 left
        s.flush()
        after = service.collection_report(s, as_of, [30, 60, 90])
        s.rollback()

    assert after.due_amount - before.due_amount == Decimal("7000.00")  # the December one is not due yet
    assert after.collected_amount - before.collected_amount == Decimal("1500.00")
    assert after.overdue_amount - before.overdue_amount == Decimal("5500.00")
    assert after.overdue_count - before.overdue_count == 2
    delta = {
        b.label: (b.amount - a.amount, b.count - a.count) for a, b in zip(before.ageing, after.ageing, strict=True)
    }
    assert delta == {
        "1-30天": (Decimal("0.00"), 0),
        "31-60天": (Decimal("1500.00"), 1),
        "61-90天": (Decimal("0.00"), 0),
        "91天以上": (Decimal("4000.00"), 1),
    }
    assert after.collection_rate is not None and Decimal("0") <= after.collection_rate <= Decimal("1")
