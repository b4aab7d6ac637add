"""Collection rules that need PostgreSQL but no engine: schedule timing, idempotent registration and
notices, the report."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import mail, stack
from models.collection import service
from models.collection.schemas import ScheduleItem
from models.collection.tables import CollectionEmail, EmailStatus, Installment, InstallmentKind, InstallmentStatus
from models.contracts.service import terms_from_settings
from models.contracts.tables import Contract, ContractStatus, ContractVersion
from models.documents.tables import Document, DocumentCategory
from models.errors import InvalidInput
from models.ops import service as ops
from models.orders.tables import Order, OrderStatus
from tests.conftest import make_settings
from tests.test_collection_engine import Inbox

BEIJING = timezone(timedelta(hours=8))
TIMING = service.Schedule.parse(7, "09:00", "+08:00")
PAYEE = service.Payee(
    name="宁波测试门业有限公司", bank="中国银行宁波分行", account="3801 0000 0000", phone="0574-8888 0000"
)


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


def _variables(
    s: Session,
    order: Order,
    schedule: list[ScheduleItem],
    pid: str | None = None,
    customer_email: str | None = None,
) -> dict[str, Any]:
    return service.register_installments(
        s,
        order_id=order.id,
        order_number=order.order_number,
        schedule=schedule,
        contract_number=None,
        customer_name=order.customer_name,
        customer_email=customer_email,
        actor="test",
        process_instance_id=pid,
    )


def _register(s: Session, order: Order, schedule: list[ScheduleItem], pid: str | None = None) -> list[Installment]:
    _variables(s, order, schedule, pid)
    return service.list_installments(s, order_id=order.id)


def test_registration_is_idempotent_per_order(sessions: sessionmaker[Session]) -> None:
    schedule = [
        ScheduleItem(kind=InstallmentKind.DEPOSIT, amount=Decimal("3000.00"), due_date=date(2040, 1, 10)),
        ScheduleItem(kind=InstallmentKind.FINAL, amount=Decimal("7000.00"), due_date=date(2040, 3, 10)),
    ]
    pid = "5f0c7a3e-0000-4000-8000-000000000101"  # Operaton instance ids are strings
    with sessions() as s:
        order = _order(s, "宁波测试客户甲")
        first = _variables(s, order, schedule, pid=pid)
        again = _variables(s, order, schedule[:1], pid=pid)  # a re-run never adds or drops rows
        assert first == again == {"installmentCount": 2}
        rows = service.list_installments(s, order_id=order.id)
        assert [r.process_instance_id for r in rows] == [pid, pid]
        # A second collection would dun the customer twice: refused as bad task data (an incident at once).
        with pytest.raises(InvalidInput, match=f"already being collected by process instance {pid}"):
            _register(s, order, schedule, pid="another-instance")
        with pytest.raises(InvalidInput):
            _register(s, _order(s, "宁波测试客户乙"), [])
        s.rollback()


def test_each_round_loads_its_installment_by_index(sessions: sessionmaker[Session]) -> None:
    """Round ``loopCounter`` (0-based) gets installment no. loopCounter + 1: keys, amount, dates, timer Dates."""
    schedule = [
        ScheduleItem(kind=InstallmentKind.DEPOSIT, amount=Decimal("3000.00"), due_date=date(2040, 1, 10)),
        ScheduleItem(kind=InstallmentKind.FINAL, amount=Decimal("7000.00"), due_date=date(2040, 3, 10)),
    ]
    with sessions() as s:
        order = _order(s, "宁波测试客户丙")
        _variables(s, order, schedule)
        ids = [i.id for i in service.list_installments(s, order_id=order.id)]
        loaded = service.load_installment(s, order.id, 1, TIMING)
        assert loaded == {
            "installmentId": ids[1],
            "installmentKey": f"INST-{ids[1]}",
            "installmentKind": "final",
            "amount": Decimal("7000.00"),
            "dueDate": date(2040, 3, 10),
            "noticeAt": datetime(2040, 3, 3, 9, 0, tzinfo=BEIJING),
            "overdueAt": datetime(2040, 3, 11, 0, 0, tzinfo=BEIJING),
        }
        assert loaded["noticeAt"].utcoffset() == timedelta(hours=8)  # a Date with its offset, not a local guess
        assert service.load_installment(s, order.id, 0, TIMING)["installmentKey"] == f"INST-{ids[0]}"
        with pytest.raises(InvalidInput, match="loopCounter"):
            service.load_installment(s, order.id, 2, TIMING)
        paid = s.get(Installment, ids[0])
        assert paid is not None
        paid.paid_amount, paid.status = paid.amount, InstallmentStatus.PAID
        s.flush()
        with pytest.raises(service.InstallmentSettled):  # nothing to wait for: the round ends at once
            service.load_installment(s, order.id, 0, TIMING)
        s.rollback()


def _signed_contract(s: Session, order: Order, terms: list[dict[str, str]], *, signed: bool = True) -> Contract:
    doc = Document(
        order_id=order.id,
        subject=f"order:{order.id}",
        kind="contract",
        category=DocumentCategory.CONTRACT,
        title="销售合同",
        filename="contract.html",
        template="contract.html.j2",
        content="<html></html>",
        created_by="test",
    )
    contract = Contract(
        order_id=order.id,
        contract_number="HT" + order.order_number.removeprefix("DO"),
        status=ContractStatus.SIGNED if signed else ContractStatus.APPROVED,
        total_amount=Decimal("10000.00"),
        delivery_date=date(2040, 6, 30),
        signed_on=date(2040, 1, 5) if signed else None,
    )
    s.add_all([doc, contract])
    s.flush()
    s.add(ContractVersion(contract_id=contract.id, version=1, document_id=doc.id, payment_terms=terms))
    s.flush()
    return contract


def test_the_schedule_comes_from_the_signed_contract(sessions: sessionmaker[Session], db_url: str) -> None:
    """door-order passes only the order id: the terms and due dates are read from the signed contract."""
    settings = make_settings(db_url, "http://127.0.0.1:9")
    terms = terms_from_settings(settings)
    with sessions() as s:
        order = _order(s, "宁波测试客户丁")
        _signed_contract(
            s,
            order,
            [
                {"kind": "deposit", "amount": "3000.00"},
                {"kind": "progress", "amount": "0.00"},  # a ratio of 0: nothing to collect
                {"kind": "final", "amount": "7000.00"},
            ],
        )
        schedule = service.contract_schedule(s, order.id, terms)
        assert schedule == [
            ScheduleItem(
                kind=InstallmentKind.DEPOSIT,
                amount=Decimal("3000.00"),
                due_date=date(2040, 1, 5) + timedelta(days=settings.payment_deposit_due_days),
            ),
            ScheduleItem(
                kind=InstallmentKind.FINAL,
                amount=Decimal("7000.00"),
                due_date=date(2040, 6, 30) + timedelta(days=settings.payment_final_due_days),
            ),
        ]
        with pytest.raises(InvalidInput, match="orderId"):  # no contract at all
            service.contract_schedule(s, _order(s, "宁波测试客户戊").id, terms)
        unsigned = _order(s, "宁波测试客户己")
        _signed_contract(s, unsigned, [{"kind": "final", "amount": "1.00"}], signed=False)
        with pytest.raises(InvalidInput, match="orderId"):
            service.contract_schedule(s, unsigned.id, terms)
        negative = _order(s, "宁波测试客户庚")
        _signed_contract(s, negative, [{"kind": "final", "amount": "-5.00"}])
        with pytest.raises(InvalidInput, match="paymentTerms"):
            service.contract_schedule(s, negative.id, terms)
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


# --- the settlement notice is e-mailed once -----------------------------------------------------


@pytest.fixture(scope="module")
def smtp() -> Iterator[Inbox]:
    inbox = Inbox(port=stack.free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


def test_settlement_notice_sent_twice_reaches_the_customer_once(
    sessions: sessionmaker[Session], smtp: Inbox, db_url: str
) -> None:
    """A redelivered or re-run notice step answers with the first result instead of mailing again."""
    settings = make_settings(db_url, "http://127.0.0.1:9").model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port}
    )
    schedule = [ScheduleItem(kind=InstallmentKind.FINAL, amount=Decimal("8000.00"), due_date=date(2042, 5, 10))]
    with sessions() as s, s.begin():
        order = _order(s, f"宁波重复通知测试客户-{uuid.uuid4().hex[:6]}")
        _variables(s, order, schedule, customer_email="caiwu@chongfu-test.example.cn")
        order_number = order.order_number
        installment_id = service.list_installments(s, order_id=order.id)[0].id

    def send_notice() -> dict[str, Any]:
        with sessions() as s, s.begin():  # one job delivery: its own transaction, committed
            return service.send_settlement_notice(
                s, installment_id, payee=PAYEE, mailer=lambda m: mail.send(settings, m), actor="test"
            )

    first = send_notice()
    again = send_notice()

    [received] = smtp.about(order_number)
    # A stable Message-ID: should a send ever have to be repeated, mail systems see the same message.
    with sessions() as s:
        database = ops.database_uuid(s)
    domain = settings.smtp_sender.rpartition("@")[2]
    # (strip: a Message-ID this long is folded onto its own line)
    assert str(received["Message-ID"]).strip() == f"<settlement_notice.{installment_id}.{database}@{domain}>"
    assert first == again and first["noticeEmail"] == "sent"
    with sessions() as s:
        emails = list(s.scalars(select(CollectionEmail).where(CollectionEmail.installment_id == installment_id)))
        assert [(e.purpose, e.status) for e in emails] == [("settlement_notice", EmailStatus.SENT)]
        documents = s.scalar(
            select(func.count()).select_from(Document).where(Document.subject == f"installment:{installment_id}")
        )
        assert documents == 1  # no second version of the notice either
