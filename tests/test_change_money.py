"""A change that changes the price changes what the customer owes (services against PostgreSQL).

An applied change with a money effect amends the contract (a new version and its document), re-plans
the installments not yet paid so that all of them add up to the new total, keeps what was paid, and
shows a credit instead of a negative installment. Amounts on the documents are also in Chinese capitals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from doorflow.settings import Settings
from doorflow.staff import SimulatedStaff
from models.audit import AuditEntry
from models.changes import service as changes
from models.changes.schemas import ChangeRequestIn
from models.changes.tables import ChangeRequest, ChangeStatus, QualityImpact
from models.collection import service as collection
from models.collection.schemas import PaymentIn
from models.collection.tables import DunningAction, Installment, InstallmentKind, InstallmentStatus
from models.contracts import service as contracts
from models.contracts.tables import Contract, ContractStatus, ContractVersion
from models.documents import service as documents
from models.documents.service import cn_money
from models.documents.tables import Document
from models.orders.service import OrderLimits
from models.orders.tables import DoorLine, DoorType, Handing, Order, OrderStatus, PriceApproval, PriceDecision
from models.outbox import EngineMessage
from tests.conftest import LiveEngine
from tests.days import factory_day

SETTINGS = Settings(_env_file=None)
TERMS = contracts.terms_from_settings(SETTINGS)
WAKE = collection.WakeUps.from_settings(SETTINGS)
LIMITS = OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500)
D = Decimal


# --- Chinese capitals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("10000.00", "人民币壹万元整"),
        ("100005.05", "人民币壹拾万零伍元零伍分"),  # 零 for the gap, 零 between 元 and 分 (角 is 0)
        ("0.50", "人民币伍角"),  # nothing after 角 needs 整
        ("75298.00", "人民币柒万伍仟贰佰玖拾捌元整"),
        ("59200.00", "人民币伍万玖仟贰佰元整"),
        ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),  # the People's Bank's own example
        ("1409.50", "人民币壹仟肆佰零玖元伍角"),  # another of its examples
        ("10.00", "人民币壹拾元整"),  # 壹拾, never a bare 拾
        ("100010000.00", "人民币壹亿零壹万元整"),
        ("0.005", "人民币壹分"),  # rounded to the fen, not cut
        ("0", "人民币零元整"),
        ("-16098.00", "人民币负壹万陆仟零玖拾捌元整"),
    ],
)
def test_amounts_in_chinese_capitals_follow_the_financial_rules(amount: str, capitals: str) -> None:
    assert cn_money(D(amount)) == capitals


# --- an order with a signed contract and its installments --------------------------------------


@dataclass
class Case:
    order_id: int
    contract_id: int
    deposit: int
    progress: int
    final: int


def _signed_order(s: Session, *, collect: bool = True) -> Case:
    """The trial's order: 75,298.00, no discount, signed; installments 30/60/10 % registered."""
    tag = uuid.uuid4().hex[:8]
    order = Order(
        order_number=f"DO20990301-{tag}",
        customer_name=f"嘉兴南湖置业-{tag}",
        delivery_address="浙江省嘉兴市南湖区",
        requested_delivery_date=factory_day() + timedelta(days=120),
        status=OrderStatus.IN_PRODUCTION,
        lines=[
            DoorLine(line_no=1, door_type=DoorType.STEEL_SECURITY, width_mm=960, height_mm=2050,
                     handing=Handing.LEFT_INSWING, quantity=10, unit_price=D("5929.80")),
            DoorLine(line_no=2, door_type=DoorType.WOODEN, width_mm=850, height_mm=2050,
                     handing=Handing.RIGHT_INSWING, quantity=4, unit_price=D("4000.00")),
        ],
    )  # fmt: skip
    s.add(order)
    s.flush()
    assert order.total_amount == D("75298.00")
    s.add(
        PriceApproval(
            order_id=order.id,
            round=1,
            list_total=order.total_amount,
            discount_percent=D("0"),
            net_total=order.total_amount,
            decision=PriceDecision.NOT_REQUIRED,
        )
    )
    s.flush()
    version = contracts.draft_contract(s, order.id, TERMS, revision_note=None, actor="test")
    contract = version.contract
    contract.status = ContractStatus.SIGNED
    contract.signed_on = factory_day()
    contract.signed_by = "张经理"
    order.status = OrderStatus.IN_PRODUCTION
    s.flush()
    ids = [0, 0, 0]
    if collect:
        schedule = collection.contract_schedule(s, order.id, TERMS)
        collection.register_installments(
            s,
            order_id=order.id,
            order_number=order.order_number,
            schedule=schedule,
            contract_number=contract.contract_number,
            customer_name=order.customer_name,
            customer_email=None,
            actor="test",
            process_instance_id="collection-" + tag,
        )
        ids = [i.id for i in collection.list_installments(s, order_id=order.id)]
    return Case(order.id, contract.id, *ids)


def _pay(s: Session, installment_id: int, amount: str) -> None:
    data = PaymentIn.model_validate(
        {"amount": amount, "external_reference": f"BANK-{uuid.uuid4().hex}", "paid_on": factory_day().isoformat()}
    )
    collection.record_payment(s, installment_id, data, lambda *_: None, actor="test", today=factory_day(), zone=UTC)


def _apply(s: Session, order_id: int, **body: Any) -> ChangeRequest:
    data = ChangeRequestIn.model_validate(
        {"description": "1 号门改为经济型锁具，单价下调", "requested_by": "客户", **body}
    )
    change = changes.request_change(
        s, order_id, data, lambda *_: None, limits=LIMITS, actor="test", today=factory_day()
    )
    changes.record_assessment(
        s, change.id, schedule_days=0, quality=QualityImpact.NONE, cost_delta=D("0.00"),
        note=None, major=False, reason="影响在阈值以内", actor="test",
    )  # fmt: skip
    changes.apply_change(s, change.id, customer_approved=None, customer_note=None, terms=TERMS, wake=WAKE, actor="test")
    return change


def _installments(s: Session, order_id: int) -> list[Installment]:
    s.expire_all()
    return list(s.scalars(select(Installment).where(Installment.order_id == order_id).order_by(Installment.seq)))


def _amounts(s: Session, order_id: int) -> list[tuple[str, Decimal, Decimal, InstallmentStatus]]:
    return [(i.kind.value, i.amount, i.paid_amount, i.status) for i in _installments(s, order_id)]


def _versions(s: Session, contract_id: int) -> list[ContractVersion]:
    return list(
        s.scalars(
            select(ContractVersion).where(ContractVersion.contract_id == contract_id).order_by(ContractVersion.version)
        )
    )


# --- re-planning --------------------------------------------------------------------------------


def test_the_trials_price_cut_amends_the_contract_and_replans_the_unpaid_installments(
    sessions: sessionmaker[Session],
) -> None:
    """75,298.00 → 59,200.00 with the deposit paid: the installments add up to 59,200.00, the deposit stays."""
    with sessions() as s, s.begin():
        case = _signed_order(s)
        _pay(s, case.deposit, "22589.40")
        change = _apply(s, case.order_id, line_changes=[{"line_no": 1, "unit_price": "4320.00"}])
        change_id = change.id

    with sessions() as s:
        assert _amounts(s, case.order_id) == [
            ("deposit", D("22589.40"), D("22589.40"), InstallmentStatus.PAID),  # paid: unchanged
            ("progress", D("31380.51"), D("0.00"), InstallmentStatus.OPEN),  # 6 : 1 of what is left
            ("final", D("5230.09"), D("0.00"), InstallmentStatus.OPEN),
        ]
        assert sum(i.amount for i in _installments(s, case.order_id)) == D("59200.00")

        stored = s.get(ChangeRequest, change_id)
        assert stored is not None
        assert (stored.money_delta, stored.contract_total_before, stored.contract_total_after) == (
            D("-16098.00"), D("75298.00"), D("59200.00"),
        )  # fmt: skip
        assert (stored.contract_version, stored.credit_due, stored.extra_due) == (2, D("0.00"), D("0.00"))
        order = s.get(Order, case.order_id)
        assert order is not None and order.price_adjustment == D("-16098.00")
        assert order.total_amount == D("59200.00")

        contract = s.get(Contract, case.contract_id)
        assert contract is not None and contract.total_amount == D("59200.00")
        assert contract.status == ContractStatus.SIGNED
        first, second = _versions(s, case.contract_id)
        assert first.version == 1 and second.version == 2
        assert [t["amount"] for t in first.payment_terms] == ["22589.40", "45178.80", "7529.80"]
        assert [t["amount"] for t in second.payment_terms] == ["22589.40", "31380.51", "5230.09"]
        doc = s.get(Document, second.document_id)
        assert doc is not None and doc.kind == "contract_amendment" and doc.category.value == "contract"
        for text in (
            "合同变更协议",
            change.change_number,
            "¥75,298.00",
            "人民币柒万伍仟贰佰玖拾捌元整",
            "¥59,200.00",
            "人民币伍万玖仟贰佰元整",
            "减少人民币壹万陆仟零玖拾捌元整",
            "人民币叁万壹仟叁佰捌拾元伍角壹分",
            "已结清",
        ):
            assert text in doc.content, text
        replanned = s.scalars(select(AuditEntry).where(AuditEntry.action == "installment.replanned")).all()
        assert {e.entity_id for e in replanned} >= {str(case.progress), str(case.final)}
        assert str(case.deposit) not in {e.entity_id for e in replanned}

    # A re-delivered apply job changes nothing more.
    with sessions() as s, s.begin():
        changes.apply_change(s, change_id, customer_approved=None, customer_note=None, terms=TERMS, wake=WAKE,
                             actor="test")  # fmt: skip
    with sessions() as s:
        assert len(_versions(s, case.contract_id)) == 2
        assert sum(i.amount for i in _installments(s, case.order_id)) == D("59200.00")


def test_a_price_rise_keeps_a_partly_paid_installment_and_spreads_over_the_unpaid(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s, s.begin():
        case = _signed_order(s)
        _pay(s, case.deposit, "10000.00")  # partly paid
        change = _apply(s, case.order_id, description="加装闭门器", price_delta="7002.00")
        assert change.money_delta == D("7002.00")
        assert _amounts(s, case.order_id) == [
            ("deposit", D("22589.40"), D("10000.00"), InstallmentStatus.OPEN),
            ("progress", D("51180.51"), D("0.00"), InstallmentStatus.OPEN),
            ("final", D("8530.09"), D("0.00"), InstallmentStatus.OPEN),
        ]
        assert sum(i.amount for i in _installments(s, case.order_id)) == D("82300.00")
        order = s.get(Order, case.order_id)
        assert order is not None and order.price_adjustment == D("7002.00")


def test_a_total_below_what_was_paid_is_a_credit_never_a_negative_installment(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s, s.begin():
        case = _signed_order(s)
        _pay(s, case.deposit, "22589.40")
        _pay(s, case.progress, "20000.00")  # partly paid: 42,589.40 paid in all
        change = _apply(s, case.order_id, description="减少门数", price_delta="-35298.00")  # new total 40,000.00
        assert _amounts(s, case.order_id) == [
            ("deposit", D("22589.40"), D("22589.40"), InstallmentStatus.PAID),
            ("progress", D("20000.00"), D("20000.00"), InstallmentStatus.PAID),  # lowered to what was paid
            ("final", D("0.00"), D("0.00"), InstallmentStatus.CANCELLED),  # nothing left to collect
        ]
        assert (change.contract_total_after, change.credit_due) == (D("40000.00"), D("2589.40"))
        contract = s.get(Contract, case.contract_id)
        assert contract is not None and contract.credit_due == D("2589.40")
        doc = s.get(Document, _versions(s, case.contract_id)[-1].document_id)
        assert doc is not None
        assert "乙方应退还甲方 ¥2,589.40（人民币贰仟伍佰捌拾玖元肆角）" in doc.content
        assert "因变更取消" in doc.content

        # The rounds of the installments the re-plan closed are woken, so they end as settled.
        messages = s.scalars(
            select(EngineMessage).where(
                EngineMessage.message_id.like("replan-%"), EngineMessage.name == "PaymentReceived"
            )
        ).all()
        keys = {m.local_keys["installmentKey"] for m in messages}
        assert f"INST-{case.progress}" in keys and f"INST-{case.final}" in keys
        assert f"INST-{case.deposit}" not in keys  # it was paid before: its round has ended already
        with pytest.raises(collection.InstallmentSettled):
            collection.check_settled(s, case.final)
        with pytest.raises(collection.InstallmentSettled):
            collection.check_settled(s, case.progress)
        s.rollback()


def test_a_cancelled_deposit_announces_itself_and_counts_as_settled(sessions: sessionmaker[Session]) -> None:
    from models.orders.service import deposit_paid

    with sessions() as s, s.begin():
        case = _signed_order(s)
        _pay(s, case.progress, "45178.80")  # the customer paid the progress payment first
        _pay(s, case.final, "7529.80")
        _apply(s, case.order_id, description="改为样板间试装", price_delta="-30000.00")  # 45,298.00 left
        kinds = {k: (amount, status) for k, amount, _, status in _amounts(s, case.order_id)}
        assert kinds["deposit"] == (D("0.00"), InstallmentStatus.CANCELLED)
        assert deposit_paid(s, case.order_id)
        order = s.get(Order, case.order_id)
        assert order is not None
        deposit_message = s.scalars(
            select(EngineMessage).where(EngineMessage.message_id == f"deposit-{order.order_number}")
        ).first()
        assert deposit_message is not None and deposit_message.name == "DepositReceived"
        s.rollback()


def test_a_change_without_money_effect_leaves_the_contract_and_installments_alone(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s, s.begin():
        case = _signed_order(s)
        before = _amounts(s, case.order_id)
        change = _apply(s, case.order_id, description="改饰面", line_changes=[{"line_no": 2, "finish": "胡桃木色"}])
        assert change.money_delta == D("0.00") and change.contract_version is None
        assert _amounts(s, case.order_id) == before
        assert len(_versions(s, case.contract_id)) == 1
        s.rollback()


def test_a_change_before_collection_amends_the_contracts_terms(sessions: sessionmaker[Session]) -> None:
    """Signed but collection not yet started: the amendment's terms are what collection will register."""
    with sessions() as s, s.begin():
        case = _signed_order(s, collect=False)
        _apply(s, case.order_id, line_changes=[{"line_no": 1, "unit_price": "4320.00"}])
        schedule = collection.contract_schedule(s, case.order_id, TERMS)
        assert [(i.kind, i.amount) for i in schedule] == [
            (InstallmentKind.DEPOSIT, D("17760.00")),
            (InstallmentKind.PROGRESS, D("35520.00")),
            (InstallmentKind.FINAL, D("5920.00")),
        ]
        s.rollback()


def test_a_price_delta_before_the_contract_is_counted_on_the_order_and_in_the_contract(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s, s.begin():
        tag = uuid.uuid4().hex[:8]
        order = Order(
            order_number=f"DO20990302-{tag}", customer_name="湖州客户", delivery_address="湖州市",
            requested_delivery_date=factory_day() + timedelta(days=90), status=OrderStatus.UNDER_REVIEW,
            lines=[DoorLine(line_no=1, door_type=DoorType.FIRE, width_mm=900, height_mm=2100,
                            handing=Handing.LEFT_INSWING, quantity=2, unit_price=D("5000.00"))],
        )  # fmt: skip
        s.add(order)
        s.flush()
        change = _apply(s, order.id, description="加急费", price_delta="500.00")
        assert change.money_delta == D("500.00") and change.contract_version is None
        assert order.price_adjustment == D("500.00")
        s.add(PriceApproval(order_id=order.id, round=1, list_total=D("10000.00"), discount_percent=D("10"),
                            net_total=D("9000.00"), decision=PriceDecision.APPROVED))  # fmt: skip
        s.flush()
        version = contracts.draft_contract(s, order.id, TERMS, revision_note=None, actor="test")
        assert version.contract.total_amount == D("9500.00")
        assert sum(D(t["amount"]) for t in version.payment_terms) == D("9500.00")
        doc = s.get(Document, version.document_id)
        assert doc is not None and "人民币玖仟伍佰元整" in doc.content and "变更调整：¥500.00" in doc.content
        s.rollback()


def test_notices_show_the_amount_in_chinese_capitals(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        case = _signed_order(s)
        inst = s.get(Installment, case.progress)
        assert inst is not None
        payee = collection.Payee(name="浙江匠门定制门业有限公司", bank="工商银行", account="1202", phone="0571-1")
        step = collection.LadderStep(action=DunningAction.LETTER, channel="书面函件", title="催款函")
        context = {"inst": inst, "kind_name": "进度款", "payee": payee, "payments": []}
        notice = documents.render("settlement-notice.html.j2", context)
        letter = documents.render("dunning-notice.html.j2", {**context, "step": step, "step_no": 3})
        for html in (notice, letter):
            assert "人民币肆万伍仟壹佰柒拾捌元捌角" in html
        s.rollback()


# --- on the real engine -------------------------------------------------------------------------


def _sign_for_collection(sessions: sessionmaker[Session], order_id: int) -> None:
    """The order's price accepted and its contract signed, as door-order leaves them before collection."""
    with sessions() as s, s.begin():
        order = s.get(Order, order_id)
        assert order is not None
        s.add(PriceApproval(order_id=order.id, round=1, list_total=order.total_amount, discount_percent=D("0"),
                            net_total=order.total_amount, decision=PriceDecision.NOT_REQUIRED))  # fmt: skip
        s.flush()
        contract = contracts.draft_contract(s, order.id, TERMS, revision_note=None, actor="test").contract
        contract.status, contract.signed_on, contract.signed_by = ContractStatus.SIGNED, factory_day(), "张经理"


@pytest.mark.engine
def test_an_applied_change_replans_the_running_collection_on_the_engine(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """The change flow applies a price cut while payment-collection runs: the waiting rounds collect the new
    amounts; a later cut below what was paid cancels the last installment, whose round ends, with a credit."""
    from tests.test_changes_engine import REVIEWS, ask, change_status, start_order

    order = start_order(api, live_engine)
    assert D(order["total_amount"]) == D("74658.00")
    pid, history = order["process_instance_id"], live_engine.history
    _sign_for_collection(sessions, order["id"])
    collecting = live_engine.client.start_process(
        "payment-collection",
        order["order_number"],
        {"orderId": order["id"], "orderNumber": order["order_number"], "customerName": order["customer_name"]},
    )
    history.wait_for(lambda: history.visited(collecting, "LoadInstallment") == 3, 90, "the three rounds")
    rounds = api.get(f"/orders/{order['id']}/installments").json()
    assert [D(i["amount"]) for i in rounds] == [D("22397.40"), D("44794.80"), D("7465.80")]
    deposit, progress, _ = (i["id"] for i in rounds)

    def pay(installment_id: int, amount: str) -> None:
        body = {
            "amount": amount,
            "external_reference": f"BANK-{uuid.uuid4().hex}",
            "paid_on": factory_day().isoformat(),
        }
        response = api.post(f"/installments/{installment_id}/payments", json=body)
        assert response.status_code == 201, response.text

    pay(deposit, "22397.40")
    history.wait_for(lambda: history.visited(collecting, "InstallmentPaid") == 1, 60, "the deposit's round to end")

    staff = SimulatedStaff(live_engine.client, history)
    cut = ask(api, order["id"], description="2 号木门改为标准饰面，单价下调",
              line_changes=[{"line_no": 2, "unit_price": "1000.00"}])  # fmt: skip
    assert staff.work_until(pid, change_status(sessions, cut["id"]), stop_at=REVIEWS) == ChangeStatus.APPLIED

    stored = api.get(f"/change-requests/{cut['id']}").json()
    assert D(stored["money_delta"]) == D("-10098.00") and stored["contract_version"] == 2
    assert (D(stored["contract_total_before"]), D(stored["contract_total_after"])) == (D("74658.00"), D("64560.00"))
    assert D(api.get(f"/orders/{order['id']}").json()["price_adjustment"]) == D("-10098.00")
    after = api.get(f"/orders/{order['id']}/installments").json()
    assert [(D(i["amount"]), i["status"]) for i in after] == [
        (D("22397.40"), "paid"), (D("36139.37"), "open"), (D("6023.23"), "open"),
    ]  # fmt: skip
    assert sum(D(i["amount"]) for i in after) == D("64560.00")
    [amendment] = [d for d in api.get(f"/orders/{order['id']}/documents").json() if d["kind"] == "contract_amendment"]
    html = api.get(f"/documents/{amendment['id']}/content").text
    assert "人民币陆万肆仟伍佰陆拾元整" in html and cut["change_number"] in html

    # The waiting round collects the re-planned amount: paying it in full ends the round.
    pay(progress, "36139.37")
    history.wait_for(lambda: history.visited(collecting, "InstallmentPaid") == 2, 60, "the progress round to end")

    # A second cut below what was paid: the final installment is cancelled, its round ends, a credit is due.
    below = ask(api, order["id"], description="取消 2 号木门的门套", price_delta="-6560.00")
    assert staff.work_until(pid, change_status(sessions, below["id"]), stop_at=REVIEWS) == ChangeStatus.APPLIED
    stored = api.get(f"/change-requests/{below['id']}").json()
    assert (D(stored["contract_total_after"]), D(stored["credit_due"]), stored["contract_version"]) == (
        D("58000.00"), D("536.77"), 3,
    )  # fmt: skip
    history.wait_for(lambda: history.instance_state(collecting) == "COMPLETED", 60, "collection to finish")
    assert history.visited(collecting, "InstallmentPaid") == 3
    assert [i["status"] for i in api.get(f"/orders/{order['id']}/installments").json()] == ["paid", "paid", "cancelled"]
    assert history.incidents(collecting) == [] and history.incidents(pid) == []
    assert history.instance_state(pid) == "ACTIVE"
    with sessions() as s, s.begin():  # no door-order waits for the deposit in this test
        s.execute(
            update(EngineMessage)
            .where(EngineMessage.name == "DepositReceived", EngineMessage.business_key == order["order_number"])
            .values(expired_at=func.now())
        )
