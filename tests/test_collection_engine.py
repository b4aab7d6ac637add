"""Payment collection on the real engine: notices by SMTP, payments, the dunning ladder, risk and legal.

Every timer is fired by moving the engine clock to the timer's own due date (read from the engine's
timer job), and the clock is reset in ``finally``: nothing is shortened. The schedule comes from the
order's signed contract in PostgreSQL, as door-order leaves it; the instance gets only primitives.
"""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from functools import partial
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow import stack
from doorflow.operaton import parse_date
from doorflow.settings import Settings
from doorflow.staff import SimulatedStaff
from models import clock, outbox
from models.collection.tables import (
    CollectionEmail,
    CustomerRiskFlag,
    DunningStep,
    EmailStatus,
    Installment,
    InstallmentStatus,
    Payment,
)
from models.contracts.tables import Contract, ContractStatus, ContractVersion
from models.documents.tables import Document, DocumentCategory
from models.orders.tables import Order, OrderStatus
from models.outbox import EngineMessage
from tests.conftest import LiveEngine, authed, make_settings, reset_engine_clock, verified

pytestmark = pytest.mark.engine

DAY_MS = 86_400_000
# The engine clock keeps running from the instant a test moves it to: a timer started by the step
# after a fired timer lies this much later at most than the moved-to instant plus its duration.
CLOCK_SLACK_MS = 120_000


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
    return str(part.get_content())


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
    env = stack.child_env(db_url, live_engine.cfg.url, api_port=0)
    env.update({"DOORFLOW_SMTP_HOST": "127.0.0.1", "DOORFLOW_SMTP_PORT": str(smtp.port)})
    child = stack.start_workers(env, tmp_path_factory.mktemp("worker-logs"))
    yield child
    child.stop()


@pytest.fixture(autouse=True)
def factory_day_in_2030(monkeypatch: pytest.MonkeyPatch) -> None:
    """These cases live in 2030 (the engine clock is moved there); so does the API's factory day, which
    refuses a payment's value date after it."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2030, 6, 15, 2, 0, tzinfo=UTC))


# --- helpers ------------------------------------------------------------------------------------


@dataclass
class Case:
    order_id: int
    order_number: str
    contract_number: str
    customer: str
    pid: str


def _default(name: str) -> Any:
    return Settings.model_fields[name].default


def store_signed_order(
    sessions: sessionmaker[Session], schedule: list[dict[str, str]], *, customer: str, tag: str
) -> tuple[int, str, str]:
    """An order with a signed contract whose payment terms fall due on the schedule's dates.

    The dates follow the configured payment clauses (deposit N days after signing, final M days after
    delivery), so the contract is dated back from them.
    """
    due = {item["kind"]: date.fromisoformat(item["dueDate"]) for item in schedule}
    signed_on = due["deposit"] - timedelta(days=_default("payment_deposit_due_days")) if "deposit" in due else None
    delivery = due["final"] - timedelta(days=_default("payment_final_due_days"))
    signed_on = signed_on or delivery - timedelta(days=60)
    with sessions() as s, s.begin():
        order = Order(
            order_number=f"DO20300101-{tag}",
            customer_name=customer,
            delivery_address="浙江省杭州市西湖区文三路 100 号",
            requested_delivery_date=delivery,
            status=OrderStatus.SIGNED,
        )
        s.add(order)
        s.flush()
        contract = Contract(
            order_id=order.id,
            contract_number=f"HT2030-{tag}",
            status=ContractStatus.SIGNED,
            total_amount=sum((Decimal(i["amount"]) for i in schedule), Decimal("0.00")),
            delivery_date=delivery,
            signed_on=signed_on,
            signed_by="张经理",
        )
        doc = Document(
            order_id=order.id,
            subject=f"order:{order.id}",
            kind="contract",
            category=DocumentCategory.CONTRACT,
            title=f"销售合同 HT2030-{tag}（第 1 版）",
            filename=f"HT2030-{tag}-v1.html",
            template="contract.html.j2",
            content="<html>销售合同</html>",
            created_by="test",
        )
        s.add_all([contract, doc])
        s.flush()
        terms = [{"kind": i["kind"], "label": i["kind"], "amount": i["amount"], "due": "…"} for i in schedule]
        s.add(ContractVersion(contract_id=contract.id, version=1, document_id=doc.id, payment_terms=terms))
        return order.id, order.order_number, contract.contract_number


def start_collection(
    live_engine: LiveEngine,
    sessions: sessionmaker[Session],
    schedule: list[dict[str, str]],
    *,
    customer_email: str | None = "caiwu@lvcheng-wuye.example.cn",
) -> Case:
    """A signed order and its payment-collection instance, started as door-order's call activity does."""
    tag = uuid.uuid4().hex[:8]
    customer = f"杭州绿城物业有限公司-{tag}"
    order_id, order_number, contract_number = store_signed_order(sessions, schedule, customer=customer, tag=tag)
    pid = live_engine.client.start_process(
        "payment-collection",
        order_number,
        {
            "orderId": order_id,
            "orderNumber": order_number,
            "contractNumber": contract_number,
            "customerName": customer,
            "customerEmail": customer_email,
        },
    )
    case = Case(order_id, order_number, contract_number, customer, pid)
    # Generous: on a loaded machine the first task of a new worker process can take a long poll to arrive.
    live_engine.history.wait_for(lambda: installments(sessions, case), 90, "the installments")
    # every round has loaded its installment and waits for its notice date
    live_engine.history.wait_for(
        lambda: live_engine.history.visited(pid, "LoadInstallment") == len(schedule), 30, "the rounds to start"
    )
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


def timer_jobs(live_engine: LiveEngine, pid: str, element_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = live_engine.client.get(
        "/job", processInstanceId=pid, activityId=element_id, timers="true"
    )
    return rows


def fire_timer(live_engine: LiveEngine, pid: str, element_id: str) -> int:
    """Move the engine clock just past the due date of the instance's pending ``element_id`` timer."""
    history = live_engine.history
    job = history.wait_for(lambda: timer_jobs(live_engine, pid, element_id), 60, f"a pending {element_id} timer")[0]
    due = int(parse_date(job["dueDate"]).timestamp() * 1000)
    fired_before = history.visited(pid, element_id)
    live_engine.client.pin_clock(due + 1_000)
    history.wait_for(lambda: history.visited(pid, element_id) > fired_before, 60, f"{element_id} to fire")
    return due


def completed(live_engine: LiveEngine, pid: str) -> bool:
    return live_engine.history.instance_state(pid) == "COMPLETED"


def pay(
    api: TestClient, installment_id: int, amount: str | float, ref: str | None = None, paid_on: str = "2030-03-05"
) -> Any:
    body = {"amount": amount, "external_reference": ref or f"BANK-{uuid.uuid4().hex[:12]}", "paid_on": paid_on}
    return api.post(f"/installments/{installment_id}/payments", json=body)


def payment_messages(sessions: sessionmaker[Session], installment_key: str) -> list[EngineMessage]:
    with sessions() as s:
        return list(
            s.scalars(
                select(EngineMessage)
                .where(
                    EngineMessage.name == "PaymentReceived",
                    EngineMessage.local_keys["installmentKey"].astext == installment_key,
                )
                .order_by(EngineMessage.id)
            )
        )


def deposit_messages(sessions: sessionmaker[Session], order_number: str) -> list[EngineMessage]:
    with sessions() as s:
        return list(
            s.scalars(
                select(EngineMessage).where(
                    EngineMessage.name == "DepositReceived", EngineMessage.business_key == order_number
                )
            )
        )


def retire(sessions: sessionmaker[Session], messages: list[EngineMessage]) -> None:
    """No door-order waits in these tests: stop offering its DepositReceived to the engine."""
    with sessions() as s, s.begin():
        s.execute(
            update(EngineMessage).where(EngineMessage.id.in_([m.id for m in messages])).values(expired_at=func.now())
        )


SCHEDULE_FINAL = [{"kind": "final", "amount": "30000.00", "dueDate": "2030-03-10"}]


# --- the ladder table ---------------------------------------------------------------------------


def test_dunning_ladder_decision_on_the_engine(live_engine: LiveEngine) -> None:
    """Each rung of the finance manager's table, and no row past the last one (the ladder is exhausted)."""
    rows = [live_engine.client.evaluate_decision("dunning-ladder", {"stepNo": n}) for n in range(1, 6)]
    assert rows == [
        [{"action": "reminder", "channel": "电子邮件", "title": "付款提醒", "interval": "P3D"}],
        [{"action": "phone", "channel": "电话", "title": "电话催收", "interval": "P4D"}],
        [{"action": "letter", "channel": "书面函件", "title": "催款函", "interval": "P7D"}],
        [{"action": "visit", "channel": "上门拜访", "title": "上门催收", "interval": "P14D"}],
        [],
    ]


# --- tests --------------------------------------------------------------------------------------


@pytest.mark.engine_clock
def test_settlement_notice_arrives_by_smtp(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], smtp: Inbox, api: TestClient
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    history = live_engine.history
    assert history.business_key(case.pid) == case.order_number
    try:
        due = fire_timer(live_engine, case.pid, "NoticeDateReached")
        # 7 days (collection_notice_days_before_due) before 2030-03-10, at 09:00 Beijing time.
        assert due == 1_898_730_000_000  # 2030-03-03T09:00:00+08:00
        mail = history.wait_for(lambda: smtp.about(case.order_number), 30, "the settlement notice e-mail")[0]
    finally:
        reset_engine_clock(live_engine)

    assert str(mail["To"]) == "caiwu@lvcheng-wuye.example.cn"
    subject = str(mail["Subject"])
    assert subject.startswith("结算通知单")
    assert "¥30,000.00" in subject and "2030年3月10日" in subject
    text = body_text(mail)
    assert case.customer in text and "尾款" in text and "¥30,000.00" in text and "2030年3月10日" in text
    html = mail.get_body(preferencelist=("html",))
    assert html is not None and "结算通知单" in str(html.get_content())

    def noticed() -> Installment | None:
        """The worker's transaction commits once the e-mail is out (at least once), so wait for its commit."""
        with sessions() as s:
            row = s.get(Installment, inst.id)
            return row if row is not None and row.notice_document_id is not None else None

    history.wait_for(noticed, 30, "the settlement notice's document on the installment")
    with sessions() as s:
        stored = s.get(Installment, inst.id)
        assert stored is not None and stored.notice_document_id is not None
        assert stored.process_instance_id == case.pid
        doc = s.get(Document, stored.notice_document_id)
        assert doc is not None and doc.kind == "settlement_notice" and doc.order_id == case.order_id
        assert "¥30,000.00" in doc.content
        sent = s.scalars(select(CollectionEmail).where(CollectionEmail.installment_id == inst.id)).one()
        assert sent.status == EmailStatus.SENT and sent.purpose == "settlement_notice"
    listed = api.get(f"/orders/{case.order_id}/documents").json()
    assert [d["kind"] for d in listed] == ["contract", "settlement_notice"]

    # Close the instance: pay in full.
    assert pay(api, inst.id, "30000.00").status_code == 201
    history.wait_for(lambda: completed(live_engine, case.pid), 30, "instance completion")


@pytest.mark.engine_clock
def test_installment_paid_on_time_completes_without_dunning(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    """A customer without an e-mail address: the notice is recorded, not sent; paid before the due date."""
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL, customer_email=None)
    inst = installments(sessions, case)[0]
    history = live_engine.history
    try:
        fire_timer(live_engine, case.pid, "NoticeDateReached")
        history.wait_for(lambda: history.visited(case.pid, "SendSettlementNotice"), 30, "the notice")
        # Waiting for the due date now: the payment arrives before it.
        [due_timer] = history.wait_for(lambda: timer_jobs(live_engine, case.pid, "DueDatePassed"), 30, "the due timer")
        assert parse_date(due_timer["dueDate"]).timestamp() * 1000 == 1_899_388_800_000  # 2030-03-11T00:00+08:00
        response = pay(api, inst.id, "30000.00", paid_on="2030-03-08")
        assert response.status_code == 201, response.text
        assert response.json()["installment"]["status"] == "paid"
        assert response.json()["installment"]["balance"] == "0.00"
        history.wait_for(lambda: completed(live_engine, case.pid), 30, "instance completion")
    finally:
        reset_engine_clock(live_engine)

    assert history.visited(case.pid, "InstallmentPaid") == 1
    assert history.visited(case.pid, "MarkOverdue") == 0
    assert history.visited(case.pid, "DecideDunningStep") == 0
    assert history.visited(case.pid, "DueDatePassed", "canceled") == 1
    assert history.incidents(case.pid) == []
    [message] = payment_messages(sessions, f"INST-{inst.id}")
    assert (message.business_key, message.local_keys) == (case.order_number, {"installmentKey": f"INST-{inst.id}"})
    assert message.delivered_at is not None
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
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)

    def took_step(before: int) -> bool:
        return history.visited(case.pid, "TakeDunningStep") > before

    try:
        fire_timer(live_engine, case.pid, "NoticeDateReached")
        overdue_at = fire_timer(live_engine, case.pid, "DueDatePassed")
        assert overdue_at == 1_899_388_800_000  # 2030-03-11T00:00:00+08:00, the day after the due date
        intervals = []
        for step in range(1, 5):
            before = history.visited(case.pid, "TakeDunningStep")
            intervals.append(fire_timer(live_engine, case.pid, "WaitDunningInterval"))
            staff.work_until(case.pid, partial(took_step, before), stop_at={"LegalAction"})
            assert history.visited(case.pid, "TakeDunningStep") == step
        legal = history.wait_for(
            lambda: [t for t in history.open_user_tasks(case.pid) if t.element_id == "LegalAction"], 30, "legal task"
        )[0]
    finally:
        reset_engine_clock(live_engine)

    assert legal.candidate_groups == ["legal"]
    # The DMN intervals (P3D, P4D, P7D, P14D), each counted from the previous step (the clock was moved
    # to 1 s past the previous timer and kept running while the step was taken).
    waited = [b - a - 1_000 for a, b in zip([overdue_at, *intervals], intervals, strict=False)]
    for actual, days in zip(waited, [3, 4, 7, 14], strict=True):
        assert days * DAY_MS <= actual < days * DAY_MS + CLOCK_SLACK_MS, (actual, days)
    phone = next(t for t in staff.done if t.element_id == "DunningPhoneCall")
    visit = next(t for t in staff.done if t.element_id == "DunningVisit")
    assert phone.candidate_groups == ["finance"] and visit.candidate_groups == ["sales"]
    with sessions() as s:
        steps = list(
            s.scalars(select(DunningStep).where(DunningStep.installment_id == inst.id).order_by(DunningStep.step_no))
        )
        assert [st.action.value for st in steps] == ["reminder", "phone", "letter", "visit"]
        assert [st.title for st in steps] == ["付款提醒", "电话催收", "催款函", "上门催收"]
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
    reminder = history.wait_for(lambda: smtp.about("付款提醒"), 10, "the reminder e-mail")
    assert any(case.order_number in str(m["Subject"]) for m in reminder)

    customer = api.get(f"/customers/{case.customer}/collection", params={"as_of": "2030-05-01"}).json()
    assert customer["risk_flagged"] is True
    assert customer["overdue_balance"] == "30000.00"
    assert customer["installments"][0]["status"] == "legal"
    assert len(customer["installments"][0]["dunning_steps"]) == 4
    report = api.get("/reports/collection", params={"as_of": "2030-05-01"}).json()
    assert case.customer in report["risk_customers"]
    assert Decimal(report["overdue_amount"]) >= Decimal("30000.00")

    # The legal task shows the round's own amount and due date (local variables of the round).
    seen = history.task_variables(legal.id)
    assert seen["installmentAmount"] == "30000.00" and seen["installmentDueDate"] == "2030-03-10"
    # Legal takes it over; the instance ends.
    live_engine.client.complete_task(legal.id, {"legalMeasure": "lawsuit", "legalComment": "提起诉讼"})
    history.wait_for(lambda: completed(live_engine, case.pid), 30, "instance completion")
    assert history.visited(case.pid, "HandedToLegal") == 1
    with sessions() as s:
        decided = s.get(Installment, inst.id)
        assert decided is not None and decided.legal_measure == "lawsuit" and decided.legal_comment == "提起诉讼"
    assert history.incidents(case.pid) == []


@pytest.mark.engine_clock
def test_payment_mid_ladder_stops_it(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    history = live_engine.history
    try:
        fire_timer(live_engine, case.pid, "NoticeDateReached")
        fire_timer(live_engine, case.pid, "DueDatePassed")
        fire_timer(live_engine, case.pid, "WaitDunningInterval")  # step 1: reminder
        history.wait_for(lambda: history.visited(case.pid, "TakeDunningStep") == 1, 30, "the reminder step")
        fire_timer(live_engine, case.pid, "WaitDunningInterval")  # step 2: phone call
        phone = history.wait_for(
            lambda: [t for t in history.open_user_tasks(case.pid) if t.element_id == "DunningPhoneCall"], 30, "call"
        )[0]
        response = pay(api, inst.id, "30000.00", paid_on="2030-03-20")
        assert response.status_code == 201, response.text
        history.wait_for(lambda: completed(live_engine, case.pid), 30, "instance completion")
    finally:
        reset_engine_clock(live_engine)

    assert history.visited(case.pid, "DunningPhoneCall", "canceled") == 1
    assert phone.id not in {t.id for t in history.open_user_tasks(case.pid)}
    assert history.visited(case.pid, "InstallmentPaid") == 1
    assert history.visited(case.pid, "FlagCustomerRisk") == 0
    assert history.incidents(case.pid) == []
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
    history = live_engine.history
    listed = api.get(f"/orders/{case.order_id}/installments").json()
    assert [(i["kind"], i["amount"], i["due_date"], i["status"], i["correlation_key"]) for i in listed] == [
        ("deposit", "10000.00", "2030-04-01", "open", f"INST-{deposit.id}"),
        ("final", "20000.50", "2030-06-01", "open", f"INST-{final.id}"),
    ]
    assert api.get(f"/contracts/{case.contract_number}/installments").json() == listed

    # One round per installment, each waiting for PaymentReceived with its own local key.
    subs = history.open_message_subscriptions({case.pid})
    assert sorted((s["eventName"], s["activityId"], s["variables"]["installmentKey"]) for s in subs) == [
        ("PaymentReceived", "PaymentReceivedStart", f"INST-{deposit.id}"),
        ("PaymentReceived", "PaymentReceivedStart", f"INST-{final.id}"),
    ]
    notice_dues = sorted(
        int(parse_date(j["dueDate"]).timestamp() * 1000) for j in timer_jobs(live_engine, case.pid, "NoticeDateReached")
    )
    assert notice_dues == [1_900_630_800_000, 1_905_901_200_000]  # 2030-03-25 and 2030-05-25, 09:00 Beijing

    # The deposit is paid after the signing (2030-03-25, 7 days before its due date): an earlier value date is refused.
    assert pay(api, deposit.id, "4000.00", paid_on="2030-03-24").status_code == 422
    first = pay(api, deposit.id, "4000.00", paid_on="2030-03-26")
    assert first.status_code == 201, first.text
    assert first.json()["installment"]["balance"] == "6000.00"
    assert first.json()["deposit_received"] is False
    history.wait_for(lambda: history.visited(case.pid, "PartialPaymentRecorded") == 1, 30, "the partial payment check")
    assert installment(sessions, deposit.id).status == InstallmentStatus.OPEN
    assert deposit_messages(sessions, case.order_number) == []

    rest = pay(api, deposit.id, "6000.00", paid_on="2030-03-28")
    assert rest.status_code == 201, rest.text
    assert rest.json()["installment"]["status"] == "paid" and rest.json()["deposit_received"] is True
    history.wait_for(lambda: history.visited(case.pid, "InstallmentPaid") == 1, 30, "the deposit's round to end")
    deposits = deposit_messages(sessions, case.order_number)
    assert [(m.message_id, m.variables) for m in deposits] == [
        (f"deposit-{case.order_number}", {"depositPaidAmount": "10000.00"})
    ]
    retire(sessions, deposits)
    assert not completed(live_engine, case.pid)  # the final payment is still being collected
    # only the final's round still waits
    assert [s["variables"]["installmentKey"] for s in history.open_message_subscriptions({case.pid})] == [
        f"INST-{final.id}"
    ]

    assert pay(api, final.id, "20000.50", paid_on="2030-05-30").status_code == 201
    history.wait_for(lambda: completed(live_engine, case.pid), 30, "instance completion")
    assert history.visited(case.pid, "InstallmentPaid") == 2
    assert len(deposit_messages(sessions, case.order_number)) == 1  # the final does not repeat it
    assert history.incidents(case.pid) == []


def test_duplicate_payment_report_and_message_do_not_pay_twice(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    history = live_engine.history
    key = f"INST-{inst.id}"

    first = pay(api, inst.id, "12000.00", ref="ICBC-20300305-0001")
    assert first.status_code == 201, first.text
    again = pay(api, inst.id, "12000.00", ref="ICBC-20300305-0001")
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["payment"]["id"] == first.json()["payment"]["id"]
    assert again.json()["installment"]["paid_amount"] == "12000.00"
    history.wait_for(lambda: history.visited(case.pid, "PartialPaymentRecorded") == 1, 30, "the payment check")
    assert len(payment_messages(sessions, key)) == 1  # the repeat was not sent again

    # The same reference for a different amount is a conflict, not a second payment.
    assert pay(api, inst.id, "500.00", ref="ICBC-20300305-0001").status_code == 409

    # The outbox stores a message id once; a wake-up without a new payment is only a wake-up call:
    # the worker reads the balance from PostgreSQL, nothing is paid.
    payment_id = first.json()["payment"]["id"]
    with sessions() as s, s.begin():
        outbox.enqueue(s, "PaymentReceived", f"payment-{payment_id}", 60, local_keys={"installmentKey": key})
    assert len(payment_messages(sessions, key)) == 1
    assert live_engine.client.correlate("PaymentReceived", case.order_number, {"installmentKey": key}) is True
    history.wait_for(lambda: history.visited(case.pid, "PartialPaymentRecorded") == 2, 30, "the repeated check")

    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.installment_id == inst.id)) == 1
        stored = s.get(Installment, inst.id)
        assert stored is not None and stored.paid_amount == Decimal("12000.00")
        assert stored.status == InstallmentStatus.OPEN
    assert not completed(live_engine, case.pid)

    assert pay(api, inst.id, "18000.00").status_code == 201
    history.wait_for(lambda: completed(live_engine, case.pid), 30, "instance completion")
    assert history.incidents(case.pid) == []
    # Nobody waits any more: a late wake-up finds no round (and would stay in the outbox until its TTL).
    assert live_engine.client.correlate("PaymentReceived", case.order_number, {"installmentKey": key}) is False


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
    assert payment_messages(sessions, f"INST-{inst.id}") == []
    # Clean up: pay in full so the instance ends.
    assert pay(api, inst.id, "30000.00").status_code == 201
    live_engine.history.wait_for(lambda: completed(live_engine, case.pid), 30, "instance completion")


def test_payment_on_a_closed_or_unknown_installment_is_refused(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    assert pay(api, inst.id, "30000.00").status_code == 201
    live_engine.history.wait_for(lambda: completed(live_engine, case.pid), 30, "instance completion")

    closed = pay(api, inst.id, "1.00")
    assert closed.status_code == 409 and "already paid" in closed.json()["detail"]
    assert pay(api, 999_999_999, "1.00").status_code == 404
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.installment_id == inst.id)) == 1
    assert len(payment_messages(sessions, f"INST-{inst.id}")) == 1
    assert api.get("/orders/999999999/installments").status_code == 404


def _incident(live_engine: LiveEngine, pid: str) -> dict[str, Any]:
    history = live_engine.history
    incident: dict[str, Any] = history.wait_for(lambda: history.incidents(pid), 30, "the incident")[0]
    return incident


def test_order_without_a_signed_contract_becomes_an_incident(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """Nothing to collect from (no signed contract): the registration stops at once (no retries), stores nothing."""
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
    pid = live_engine.client.start_process(
        "payment-collection",
        order_number,
        {"orderId": order_id, "orderNumber": order_number, "customerName": "宁波坏数据测试有限公司"},
    )
    incident = _incident(live_engine, pid)
    assert incident["incidentType"] == "failedExternalTask" and incident["activityId"] == "RegisterInstallments"
    assert "orderId" in incident["incidentMessage"] and "signed contract" in incident["incidentMessage"]
    assert live_engine.history.visited(pid, "RegisterInstallments", "started") == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Installment).where(Installment.order_id == order_id)) == 0


def test_a_contract_term_that_cannot_be_collected_becomes_an_incident(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    tag = uuid.uuid4().hex[:8]
    bad = [{"kind": "final", "amount": "-5.00", "dueDate": "2030-03-01"}]
    order_id, order_number, contract_number = store_signed_order(
        sessions, bad, customer="宁波坏数据测试有限公司", tag=tag
    )
    pid = live_engine.client.start_process(
        "payment-collection",
        order_number,
        {
            "orderId": order_id,
            "orderNumber": order_number,
            "contractNumber": contract_number,
            "customerName": "宁波坏数据测试有限公司",
        },
    )
    incident = _incident(live_engine, pid)
    assert incident["activityId"] == "RegisterInstallments" and "paymentTerms" in incident["incidentMessage"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Installment).where(Installment.order_id == order_id)) == 0


def test_a_payment_needs_no_engine_its_wake_up_waits_in_the_outbox(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], db_url: str
) -> None:
    """The API only stores the payment and its PaymentReceived (one transaction); the workers deliver it."""
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL)
    inst = installments(sessions, case)[0]
    dead = create_app(make_settings(db_url, f"http://127.0.0.1:{stack.free_port()}"), verified(live_engine))
    with TestClient(dead) as offline:
        response = pay(authed(offline), inst.id, "30000.00")
    assert response.status_code == 201, response.text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.installment_id == inst.id)) == 1
        assert s.get(Installment, inst.id).status == InstallmentStatus.PAID  # type: ignore[union-attr]
    live_engine.history.wait_for(lambda: completed(live_engine, case.pid), 60, "instance completion")
    [message] = payment_messages(sessions, f"INST-{inst.id}")
    assert message.delivered_at is not None
    assert live_engine.history.visited(case.pid, "InstallmentPaid") == 1


@pytest.mark.engine_clock
def test_a_mail_the_server_refuses_is_not_recorded_as_sent(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], api: TestClient
) -> None:
    """SMTP refusal: the task is retried, then an incident shows it; nothing claims the notice went out."""
    case = start_collection(live_engine, sessions, SCHEDULE_FINAL, customer_email="refused@lvcheng-wuye.example.cn")
    inst = installments(sessions, case)[0]
    history = live_engine.history
    try:
        fire_timer(live_engine, case.pid, "NoticeDateReached")
        # The retry back-off runs on the engine clock, which keeps running: the retries come by themselves.
        incident = history.wait_for(lambda: history.incidents(case.pid), 90, "the incident")[0]
    finally:
        reset_engine_clock(live_engine)
    assert incident["activityId"] == "SendSettlementNotice" and incident["incidentType"] == "failedExternalTask"
    assert "SMTPRecipientsRefused" in incident["incidentMessage"]
    with sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(CollectionEmail).where(CollectionEmail.installment_id == inst.id))
            == 0
        )
        assert s.get(Installment, inst.id).notice_document_id is None  # type: ignore[union-attr]
    # A payment still closes the installment: the error boundary ends the round, stuck notice included.
    assert pay(api, inst.id, "30000.00").status_code == 201
    history.wait_for(lambda: completed(live_engine, case.pid), 30, "instance completion")
    assert history.visited(case.pid, "InstallmentPaid") == 1
    assert [i["open"] for i in history.incidents(case.pid)] == [False]  # the incident went with its task
