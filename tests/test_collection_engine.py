"""Payment collection on the real engine: notices by SMTP, payments, the dunning ladder, risk and legal.

Every timer is fired by pinning the engine clock to the timer's own due date (read from the engine's
TIMER record), and the clock is reset in ``finally``: nothing is shortened.
"""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow import stack
from doorflow.staff import SimulatedStaff
from models.collection.tables import (
    CollectionEmail,
    CustomerRiskFlag,
    DunningStep,
    EmailStatus,
    Installment,
    InstallmentStatus,
    Payment,
)
from models.documents.tables import Document
from models.orders.tables import Order, OrderStatus
from tests.conftest import LiveEngine, make_settings, reset_engine_clock

pytestmark = pytest.mark.engine


# --- a local SMTP server the workers send to -----------------------------------------------------


@dataclass
class Inbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("refused@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def about(self, needle: str) -> list[EmailMessage]:
        return [m for m in list(self.messages) if needle in str(m["Subject"])]


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def smtp() -> Iterator[Inbox]:
    inbox = Inbox(port=stack.free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture(scope="module")
def workers(
    live_engine: LiveEngine, db_url: str, smtp: Inbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[stack.Child]:
    """The real worker process, sending e-mail to this module's local SMTP server."""
    env = stack.child_env(db_url, live_engine.cfg, api_port=0)
    env.update({"DOORFLOW_SMTP_HOST": "127.0.0.1", "DOORFLOW_SMTP_PORT": str(smtp.port)})
    child = stack.start_workers(env, tmp_path_factory.mktemp("worker-logs"))
    yield child
    child.stop()


# --- helpers ------------------------------------------------------------------------------------


@dataclass
class Case:
    order_id: int
    order_number: str
    customer: str
    pik: int


def start_collection(
    live_engine: LiveEngine,
    sessions: sessionmaker[Session],
    schedule: list[dict[str, str]],
    *,
    customer_email: str | None = "caiwu@lvcheng-wuye.example.cn",
) -> Case:
    """An order (as the order branch stores it) and its payment-collection instance, as door-order calls it."""
    tag = uuid.uuid4().hex[:8]
    customer = f"杭州绿城物业有限公司-{tag}"
    with sessions() as s, s.begin():
        order = Order(
            order_number=f"DO20300101-{tag}",
            customer_name=customer,
            delivery_address="浙江省杭州市西湖区文三路 100 号",
            requested_delivery_date=date(2030, 6, 30),
            status=OrderStatus.REGISTERED,
        )
        s.add(order)
        s.flush()
        order_id, order_number = order.id, order.order_number
    pik = live_engine.camunda.create_process_instance(
        "payment-collection",
        {
            "orderId": order_id,
            "orderNumber": order_number,
            "paymentSchedule": schedule,
            "contractNumber": f"HT2030-{tag}",
            "customerName": customer,
            "customerEmail": customer_email,
        },
    )
    case = Case(order_id, order_number, customer, pik)
    live_engine.records.wait_for(lambda: installments(sessions, case), 30, "the installments")
    return case


def installments(sessions: sessionmaker[Session], case: Case) -> list[Installment]:
    with sessions() as s:
        return list(
            s.scalars(select(Installment).where(Installment.order_id == case.order_id).order_by(Installment.seq))
        )


def installment(sessions: sessionmaker[Session], installment_id: int) -> Installment:
    with sessions() as s:
        inst = s.get(Installment, installment_id)
        assert inst is not None
        return inst


def timers(live_engine: LiveEngine, pik: int, element_id: str, intent: str) -> dict[int, dict[str, Any]]:
    return {
        r["key"]: r
        for r in live_engine.records.events("TIMER")
        if r["intent"] == intent
        and r["value"]["processInstanceKey"] == pik
        and r["value"]["targetElementId"] == element_id
    }


def fire_timer(live_engine: LiveEngine, pik: int, element_id: str) -> int:
    """Pin the engine clock just past the due date of the instance's pending ``element_id`` timer."""

    def pending() -> list[dict[str, Any]]:
        done = set(timers(live_engine, pik, element_id, "TRIGGERED")) | set(
            timers(live_engine, pik, element_id, "CANCELED")
        )
        return [r for k, r in timers(live_engine, pik, element_id, "CREATED").items() if k not in done]

    timer = live_engine.records.wait_for(pending, 60, f"a pending {element_id} timer")[0]
    due = int(timer["value"]["dueDate"])
    live_engine.camunda.pin_clock(due + 1_000)
    live_engine.records.wait_for(
        lambda: timer["key"] in timers(live_engine, pik, element_id, "TRIGGERED"), 60, f"{element_id} to fire"
    )
    return due


def completed(live_engine: LiveEngine, pik: int) -> bool:
    return live_engine.records.instance_state(pik) == "ELEMENT_COMPLETED"


def pay(
    api: TestClient, installment_id: int, amount: str | float, ref: str | None = None, paid_on: str = "2030-03-05"
) -> Any:
    body = {"amount": amount, "external_reference": ref or f"BANK-{uuid.uuid4().hex[:12]}", "paid_on": paid_on}
    return api.post(f"/installments/{installment_id}/payments", json=body)


def messages(live_engine: LiveEngine, name: str, correlation_key: str) -> list[dict[str, Any]]:
    return [
        r
        for r in live_engine.records.events("MESSAGE")
        if r["intent"] == "PUBLISHED" and r["value"]["name"] == name and r["value"]["correlationKey"] == correlation_key
    ]


SCHEDULE_FINAL = [{"kind": "final", "amount": "30000.00", "dueDate": "2030-03-10"}]


# --- tests --------------------------------------------------------------------------------------


@pytest.mark.engine_clock
def test_settlement_notice_arrives_by_smtp(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], smtp: Inbox, api: TestClient
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    records = live_engine.records
    try:
        due = fire_timer(live_engine, case.pik, "NoticeDateReached")
        # 7 days (collection_notice_days_before_due) before 2030-03-10, at 09:00 Beijing time.
        assert due == 1_898_730_000_000  # 2030-03-03T09:00:00+08:00
        mail = records.wait_for(lambda: smtp.about(case.order_number), 30, "the settlement notice e-mail")[0]
    finally:
        reset_engine_clock(live_engine)

    assert str(mail["To"]) == "caiwu@lvcheng-wuye.example.cn"
    subject = str(mail["Subject"])
    assert subject.startswith("结算通知单")
    assert "¥30,000.00" in subject and "2030年3月10日" in subject
    text = body_text(mail)
    assert case.customer in text and "尾款" in text and "¥30,000.00" in text and "2030年3月10日" in text
    html = mail.get_body(preferencelist=("html",))
    assert html is not None and "结算通知单" in str(html.get_content())  # type: ignore[attr-defined]

    with sessions() as s:
        stored = s.get(Installment, inst.id)
        assert stored is not None and stored.notice_document_id is not None
        doc = s.get(Document, stored.notice_document_id)
        assert doc is not None and doc.kind == "settlement_notice" and doc.order_id == case.order_id
        assert "¥30,000.00" in doc.content
        sent = s.scalars(select(CollectionEmail).where(CollectionEmail.installment_id == inst.id)).one()
        assert sent.status == EmailStatus.SENT and sent.purpose == "settlement_notice"
    listed = api.get(f"/orders/{case.order_id}/documents").json()
    assert [d["kind"] for d in listed] == ["settlement_notice"]

    # Close the instance: pay in full.
    assert pay(api, inst.id, "30000.00").status_code == 201
    records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")


@pytest.mark.engine_clock
def test_installment_paid_on_time_completes_without_dunning(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    """A customer without an e-mail address: the notice is recorded, not sent; paid before the due date."""
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL, customer_email=None)
    inst = installments(sessions, case)[0]
    records = live_engine.records
    try:
        fire_timer(live_engine, case.pik, "NoticeDateReached")
        records.wait_for(lambda: records.visited(case.pik, "SendSettlementNotice"), 30, "the notice")
        # Waiting for the due date now: the payment arrives before it.
        records.wait_for(lambda: timers(live_engine, case.pik, "DueDatePassed", "CREATED"), 30, "the due timer")
        response = pay(api, inst.id, "30000.00", paid_on="2030-03-08")
        assert response.status_code == 201, response.text
        assert response.json()["installment"]["status"] == "paid"
        assert response.json()["installment"]["balance"] == "0.00"
        records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")
    finally:
        reset_engine_clock(live_engine)

    assert records.visited(case.pik, "InstallmentPaid") == 1
    assert records.visited(case.pik, "MarkOverdue") == 0
    assert records.visited(case.pik, "DecideDunningStep") == 0
    assert timers(live_engine, case.pik, "DueDatePassed", "CANCELED")
    assert records.incidents(case.pik) == []
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(DunningStep).where(DunningStep.installment_id == inst.id)) == 0
        note = s.scalars(select(CollectionEmail).where(CollectionEmail.installment_id == inst.id)).one()
        assert note.status == EmailStatus.NO_ADDRESS and note.recipient is None
        assert s.get(Installment, inst.id).status == InstallmentStatus.PAID  # type: ignore[union-attr]


@pytest.mark.engine_clock
def test_unpaid_installment_climbs_the_whole_ladder_to_legal(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], smtp: Inbox, api: TestClient
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    records = live_engine.records
    staff = SimulatedStaff(live_engine.camunda, records)
    try:
        fire_timer(live_engine, case.pik, "NoticeDateReached")
        overdue_at = fire_timer(live_engine, case.pik, "DueDatePassed")
        assert overdue_at == 1_899_388_800_000  # 2030-03-11T00:00:00+08:00, the day after the due date
        intervals = []
        for step in range(1, 5):
            before = records.visited(case.pik, "TakeDunningStep")
            intervals.append(fire_timer(live_engine, case.pik, "WaitDunningInterval"))
            staff.work_until(
                case.pik, lambda n=before: records.visited(case.pik, "TakeDunningStep") > n, stop_at={"LegalAction"}
            )
            assert records.visited(case.pik, "TakeDunningStep") == step
        legal = records.wait_for(
            lambda: [t for t in records.open_user_tasks(case.pik) if t.element_id == "LegalAction"], 30, "legal task"
        )[0]
    finally:
        reset_engine_clock(live_engine)

    assert legal.candidate_groups == ["legal"]
    day = 86_400_000
    # The DMN intervals (P3D, P4D, P7D, P14D), each counted from the previous step.
    assert [b - a for a, b in zip([overdue_at, *intervals], intervals, strict=False)] == [
        3 * day + 1000,
        4 * day + 1000,
        7 * day + 1000,
        14 * day + 1000,
    ]
    phone = next(t for t in staff.done if t.element_id == "DunningPhoneCall")
    visit = next(t for t in staff.done if t.element_id == "DunningVisit")
    assert phone.candidate_groups == ["finance"] and visit.candidate_groups == ["sales"]
    with sessions() as s:
        steps = list(
            s.scalars(select(DunningStep).where(DunningStep.installment_id == inst.id).order_by(DunningStep.step_no))
        )
        assert [st.action.value for st in steps] == ["reminder", "phone", "letter", "visit"]
        assert steps[1].reason == "客户称项目甲方尚未拨款，资金周转困难"
        assert steps[1].result == "客户财务承诺两周内支付全部逾期款项；客户承诺付款日期：2099-01-15"
        assert steps[3].result == "拜访对象：客户采购部李经理；已约定售后上门处理漆面问题，客户同意处理完毕后付款"
        assert steps[2].document_id is not None
        assert steps[2].reason.startswith("逾期未付")  # automatic steps record the system's reason
        assert all(st.balance == Decimal("30000.00") for st in steps)
        stored = s.get(Installment, inst.id)
        assert stored is not None and stored.status == InstallmentStatus.LEGAL
        flag = s.scalars(select(CustomerRiskFlag).where(CustomerRiskFlag.installment_id == inst.id)).one()
        assert flag.customer_name == case.customer and "4步催收" in flag.reason
    letter = api.get(f"/documents/{steps[2].document_id}/content")
    assert letter.status_code == 200 and "催款函" in letter.text and "¥30,000.00" in letter.text
    reminder = records.wait_for(lambda: smtp.about("付款提醒"), 10, "the reminder e-mail")
    assert any(case.order_number in str(m["Subject"]) for m in reminder)

    customer = api.get(f"/customers/{case.customer}/collection", params={"as_of": "2030-05-01"}).json()
    assert customer["risk_flagged"] is True
    assert customer["overdue_balance"] == "30000.00"
    assert customer["installments"][0]["status"] == "legal"
    assert len(customer["installments"][0]["dunning_steps"]) == 4
    report = api.get("/reports/collection", params={"as_of": "2030-05-01"}).json()
    assert case.customer in report["risk_customers"]
    assert Decimal(report["overdue_amount"]) >= Decimal("30000.00")

    # Legal takes it over; the instance ends.
    live_engine.camunda.complete_user_task(legal.key, {"legalMeasure": "lawsuit", "legalComment": "提起诉讼"})
    records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")
    assert records.visited(case.pik, "HandedToLegal") == 1
    with sessions() as s:
        decided = s.get(Installment, inst.id)
        assert decided is not None and decided.legal_measure == "lawsuit" and decided.legal_comment == "提起诉讼"
    assert records.incidents(case.pik) == []


@pytest.mark.engine_clock
def test_payment_mid_ladder_stops_it(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    records = live_engine.records
    try:
        fire_timer(live_engine, case.pik, "NoticeDateReached")
        fire_timer(live_engine, case.pik, "DueDatePassed")
        fire_timer(live_engine, case.pik, "WaitDunningInterval")  # step 1: reminder
        fire_timer(live_engine, case.pik, "WaitDunningInterval")  # step 2: phone call
        phone = records.wait_for(
            lambda: [t for t in records.open_user_tasks(case.pik) if t.element_id == "DunningPhoneCall"], 30, "call"
        )[0]
        response = pay(api, inst.id, "30000.00", paid_on="2030-03-20")
        assert response.status_code == 201, response.text
        records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")
    finally:
        reset_engine_clock(live_engine)

    assert records.user_tasks(case.pik)[phone.key].state == "CANCELED"
    assert records.visited(case.pik, "InstallmentPaid") == 1
    assert records.visited(case.pik, "FlagCustomerRisk") == 0
    assert records.incidents(case.pik) == []
    with sessions() as s:
        steps = list(s.scalars(select(DunningStep.action).where(DunningStep.installment_id == inst.id)))
        assert [a.value for a in steps] == ["reminder"]
        assert (
            s.scalar(
                select(func.count()).select_from(CustomerRiskFlag).where(CustomerRiskFlag.installment_id == inst.id)
            )
            == 0
        )
        assert s.get(Installment, inst.id).status == InstallmentStatus.PAID  # type: ignore[union-attr]


def test_partial_payments_and_deposit_received(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    schedule = [
        {"kind": "deposit", "amount": "10000.00", "dueDate": "2030-04-01"},
        {"kind": "final", "amount": "20000.50", "dueDate": "2030-06-01"},
    ]
    case = start_collection(live_engine, sessions, schedule)
    deposit, final = installments(sessions, case)
    records = live_engine.records
    listed = api.get(f"/orders/{case.order_id}/installments").json()
    assert [(i["kind"], i["amount"], i["status"], i["correlation_key"]) for i in listed] == [
        ("deposit", "10000.00", "open", f"INST-{deposit.id}"),
        ("final", "20000.50", "open", f"INST-{final.id}"),
    ]
    assert api.get(f"/contracts/HT2030-{case.order_number[-8:]}/installments").json() == listed

    first = pay(api, deposit.id, "4000.00")
    assert first.status_code == 201, first.text
    assert first.json()["installment"]["balance"] == "6000.00"
    assert first.json()["deposit_received"] is False
    records.wait_for(lambda: records.visited(case.pik, "PartialPaymentRecorded") == 1, 30, "the partial payment check")
    assert installment(sessions, deposit.id).status == InstallmentStatus.OPEN
    assert messages(live_engine, "DepositReceived", case.order_number) == []

    rest = pay(api, deposit.id, "6000.00")
    assert rest.status_code == 201, rest.text
    assert rest.json()["installment"]["status"] == "paid" and rest.json()["deposit_received"] is True
    records.wait_for(lambda: records.visited(case.pik, "InstallmentPaid") == 1, 30, "the deposit's round to end")
    deposit_msgs = messages(live_engine, "DepositReceived", case.order_number)
    assert len(deposit_msgs) == 1
    assert deposit_msgs[0]["value"]["variables"] == {"depositPaidAmount": "10000.00"}
    assert not completed(live_engine, case.pik)  # the final payment is still being collected

    assert pay(api, final.id, "20000.50").status_code == 201
    records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")
    assert records.visited(case.pik, "InstallmentPaid") == 2
    assert len(messages(live_engine, "DepositReceived", case.order_number)) == 1  # the final does not repeat it
    assert records.incidents(case.pik) == []


def test_duplicate_payment_report_and_message_do_not_pay_twice(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    records = live_engine.records
    key = f"INST-{inst.id}"

    first = pay(api, inst.id, "12000.00", ref="ICBC-20300305-0001")
    assert first.status_code == 201, first.text
    again = pay(api, inst.id, "12000.00", ref="ICBC-20300305-0001")
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["payment"]["id"] == first.json()["payment"]["id"]
    assert again.json()["installment"]["paid_amount"] == "12000.00"
    records.wait_for(lambda: records.visited(case.pik, "PartialPaymentRecorded") == 1, 30, "the payment check")
    assert len(messages(live_engine, "PaymentReceived", key)) == 1  # the repeat was not published again

    # The same reference for a different amount is a conflict, not a second payment.
    assert pay(api, inst.id, "500.00", ref="ICBC-20300305-0001").status_code == 409

    # The engine refuses the same message id while the first is buffered; a message without id is only a
    # wake-up call: the worker reads the balance from PostgreSQL, nothing is paid.
    payment_id = first.json()["payment"]["id"]
    assert live_engine.camunda.publish_message_once("PaymentReceived", key, f"payment-{payment_id}") is False
    live_engine.camunda.publish_message("PaymentReceived", key, {"paymentId": payment_id})
    records.wait_for(lambda: records.visited(case.pik, "PartialPaymentRecorded") == 2, 30, "the repeated check")

    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.installment_id == inst.id)) == 1
        stored = s.get(Installment, inst.id)
        assert stored is not None and stored.paid_amount == Decimal("12000.00")
        assert stored.status == InstallmentStatus.OPEN
    assert not completed(live_engine, case.pik)

    assert pay(api, inst.id, "18000.00").status_code == 201
    records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")
    assert records.incidents(case.pik) == []


@pytest.mark.parametrize(
    ("amount", "status", "field_name"),
    [
        ("0", 422, "amount"),
        ("-100.00", 422, "amount"),
        ("30000.01", 422, "amount"),  # more than the balance
        ("12.345", 422, "amount"),  # fractions of a fen
        ("abc", 422, "amount"),
        (5000.5, 422, "amount"),  # a JSON number, not a decimal string
    ],
)
def test_bad_payments_are_refused_and_nothing_is_stored(
    live_engine: LiveEngine,
    workers: stack.Child,
    sessions: sessionmaker[Session],
    api: TestClient,
    amount: str | float,
    status: int,
    field_name: str,
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    response = pay(api, inst.id, amount)
    assert response.status_code == status, response.text
    assert ["body", field_name] in [d["loc"] for d in response.json()["detail"]]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.installment_id == inst.id)) == 0
        assert s.get(Installment, inst.id).paid_amount == Decimal("0.00")  # type: ignore[union-attr]
    assert messages(live_engine, "PaymentReceived", f"INST-{inst.id}") == []
    # Clean up: pay in full so the instance ends.
    assert pay(api, inst.id, "30000.00").status_code == 201
    live_engine.records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")


def test_payment_on_a_closed_or_unknown_installment_is_refused(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    assert pay(api, inst.id, "30000.00").status_code == 201
    live_engine.records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")

    closed = pay(api, inst.id, "1.00")
    assert closed.status_code == 409 and "already paid" in closed.json()["detail"]
    assert pay(api, 999_999_999, "1.00").status_code == 404
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.installment_id == inst.id)) == 1
    assert len(messages(live_engine, "PaymentReceived", f"INST-{inst.id}")) == 1
    assert api.get("/orders/999999999/installments").status_code == 404


def test_bad_payment_schedule_becomes_an_incident(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """A schedule the worker cannot read stops at once (no retries) and stores nothing."""
    with sessions() as s, s.begin():
        order = Order(
            order_number=f"DO20300101-{uuid.uuid4().hex[:8]}",
            customer_name="宁波坏数据测试有限公司",
            delivery_address="宁波市海曙区中山西路 1 号",
            requested_delivery_date=date(2030, 6, 30),
            status=OrderStatus.REGISTERED,
        )
        s.add(order)
        s.flush()
        order_id, order_number = order.id, order.order_number
    bad = [{"kind": "deposit", "amount": "-5.00", "dueDate": "2030-03-01"}]
    pik = live_engine.camunda.create_process_instance(
        "payment-collection",
        {
            "orderId": order_id,
            "orderNumber": order_number,
            "paymentSchedule": bad,
            "customerName": "宁波坏数据测试有限公司",
        },
    )
    records = live_engine.records
    incident = records.wait_for(lambda: records.incidents(pik), 30, "the incident")[0]
    assert incident["value"]["errorType"] == "JOB_NO_RETRIES"
    assert "paymentSchedule" in incident["value"]["errorMessage"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Installment).where(Installment.order_id == order_id)) == 0


def test_payment_is_not_stored_when_the_engine_is_unreachable(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient, db_url: str
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    dead = create_app(make_settings(db_url, f"http://127.0.0.1:{stack.free_port()}"))
    with TestClient(dead) as offline:
        response = pay(offline, inst.id, "30000.00")
    assert response.status_code == 503 and response.headers["Retry-After"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.installment_id == inst.id)) == 0
        assert s.get(Installment, inst.id).status == InstallmentStatus.OPEN  # type: ignore[union-attr]
    # The retry against the reachable engine goes through and closes the installment.
    assert pay(api, inst.id, "30000.00").status_code == 201
    live_engine.records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")


@pytest.mark.engine_clock
def test_a_mail_the_server_refuses_is_not_recorded_as_sent(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    """SMTP refusal: the job is retried, then an incident shows it; nothing claims the notice went out."""
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL, customer_email="refused@lvcheng-wuye.example.cn")
    inst = installments(sessions, case)[0]
    records = live_engine.records

    def failures() -> int:
        return sum(
            1 for r in records.events("JOB") if r["intent"] == "FAILED" and r["value"]["processInstanceKey"] == case.pik
        )

    try:
        now = fire_timer(live_engine, case.pik, "NoticeDateReached")
        # The retry back-off runs on the engine clock too: move it past each back-off.
        for attempt in range(1, 3):
            records.wait_for(lambda n=attempt: failures() >= n, 60, f"failed attempt {attempt}")
            now += 60_000 * attempt
            live_engine.camunda.pin_clock(now)
        incident = records.wait_for(lambda: records.incidents(case.pik), 60, "the incident")[0]
    finally:
        reset_engine_clock(live_engine)
    assert incident["value"]["elementId"] == "SendSettlementNotice"
    assert "SMTPRecipientsRefused" in incident["value"]["errorMessage"]
    with sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(CollectionEmail).where(CollectionEmail.installment_id == inst.id))
            == 0
        )
        assert s.get(Installment, inst.id).notice_document_id is None  # type: ignore[union-attr]
    # A payment still closes the installment: the error boundary ends the round, stuck notice included.
    assert pay(api, inst.id, "30000.00").status_code == 201
    records.wait_for(lambda: completed(live_engine, case.pik), 30, "instance completion")
    assert records.visited(case.pik, "InstallmentPaid") == 1
