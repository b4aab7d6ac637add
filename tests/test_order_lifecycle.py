"""The whole door-order lifecycle on the real engine, driven by simulated staff and the engine clock."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from doorflow.history import EngineHistory
from doorflow.settings import Settings
from doorflow.simulated_systems import factory_responders, pay_installments
from doorflow.staff import SimulatedStaff
from doorflow.staff_answers import today as factory_today
from models.contracts.tables import Contract, ContractStatus, LegalDecision
from models.documents.tables import Document
from models.fulfilment.tables import Acceptance, FollowUpVisit, HandoverSheet, Shipment
from models.orders.tables import Order, OrderReview, OrderStatus, PriceApproval, PriceDecision
from models.outbox import EngineMessage
from tests.conftest import LiveEngine, order_payload, reset_engine_clock
from tests.days import factory_day

pytestmark = pytest.mark.engine

DAY_MS = 86_400_000
SETTINGS = Settings(_env_file=None)  # the defaults the workers run with in these tests


def _days(iso_duration: str) -> int:
    """Days of an ISO-8601 duration of whole days (e.g. P3D), as the settings give them."""
    match = re.fullmatch(r"P(\d+)D", iso_duration)
    assert match, f"expected a whole-day duration, got {iso_duration}"
    return int(match.group(1))


@contextmanager
def clock_days_ahead(live_engine: LiveEngine, days: float) -> Iterator[None]:
    """Pin the engine clock ``days`` ahead (due timers fire, the clock runs on from there); always reset after."""
    try:
        live_engine.client.pin_clock(int(time.time() * 1000 + days * DAY_MS))
        yield
    finally:
        reset_engine_clock(live_engine)


def _start(api: TestClient, **overrides: object) -> tuple[dict[str, Any], str]:
    response = api.post("/orders", json=order_payload(**overrides))
    assert response.status_code == 201, response.text
    order = response.json()
    return order, str(order["process_instance_id"])


def _no_incident(history: EngineHistory, pid: str) -> None:
    """Fail at once with the engine's reason instead of waiting for a timeout (any instance of the tree)."""
    incidents = history.open_incidents(history.instance_tree(pid))
    assert not incidents, [(i["activityId"], i["incidentMessage"]) for i in incidents]


def _reached(history: EngineHistory, pid: str, element_id: str, times: int = 1) -> Callable[[], bool]:
    def check() -> bool:
        _no_incident(history, pid)
        return history.visited(pid, element_id, "started") >= times

    return check


def _completed(history: EngineHistory, pid: str, element_id: str, times: int = 1) -> Callable[[], bool]:
    def check() -> bool:
        _no_incident(history, pid)
        return history.visited(pid, element_id) >= times

    return check


def _pay_deposit(api: TestClient, order_id: int) -> None:
    """Finance reports the deposit through the payments API, which publishes DepositReceived to the order."""
    [paid] = _wait(lambda: pay_installments(api, order_id, {"deposit"}), "the deposit installment")
    assert paid["deposit_received"] is True and paid["duplicate"] is False
    assert paid["installment"]["status"] == "paid"
    assert Decimal(paid["payment"]["amount"]) == Decimal(paid["installment"]["amount"])


def _wait(what: Callable[[], Any], name: str, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := what()):
        assert time.monotonic() < deadline, f"timed out waiting for {name}"
        time.sleep(0.2)
    return result


def _deliver(api: TestClient, order_id: int, tracking: str = "SF1234567890") -> None:
    body = {"delivered_on": factory_today().isoformat(), "received_by": "工地 王师傅", "tracking_number": tracking}
    response = api.post(f"/orders/{order_id}/shipment/delivered", json=body)
    assert response.status_code == 200, response.text


@pytest.mark.engine_clock
def test_happy_path_end_to_end(
    api: TestClient,
    live_engine: LiveEngine,
    workers: stack.Child,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    history = live_engine.history
    started = time.monotonic()
    order, pid = _start(
        api,
        customer_email="purchase@greentown.example",
        requested_discount_percent="8",
        notes="门锁须与物业门禁系统兼容",
    )

    # Warehouse, logistics and the bank answer through the API; the deposit is paid late (below).
    staff = SimulatedStaff(
        live_engine.client, history, responders=factory_responders(api, order["id"], pay=("progress", "final"))
    )

    # Review → pricing (8 % discount: the sales manager approves) → contract → signature → handover.
    staff.work_until(pid, _reached(history, pid, "WaitForDeposit"), timeout_s=120)
    approve = next(t for t in staff.done if t.element_id == "ApprovePrice")
    assert approve.candidate_groups == ["sales-manager"]
    [payments] = history.child_instances(pid, "payment-collection")
    timeline = api.get(f"/orders/{order['id']}/timeline").json()
    assert timeline["status"] == "handed_over"
    assert "WaitForDeposit" in {s["element_id"] for s in timeline["current_steps"]}

    # The deposit is late: the non-interrupting reminder fires every P3D (settings) while it stays missing.
    # The engine schedules each repetition from when the previous one fired, so the clock moves twice.
    period = _days(SETTINGS.deposit_reminder_after)
    with clock_days_ahead(live_engine, period + 0.1):
        staff.work_until(pid, _completed(history, pid, "RemindDeposit"), timeout_s=60)
    with clock_days_ahead(live_engine, 2 * period + 0.2):
        staff.work_until(pid, _completed(history, pid, "RemindDeposit", times=2), timeout_s=60)
    assert history.visited(pid, "RemindDeposit") == 2
    assert history.visited(pid, "WaitForDeposit") == 0  # still waiting after the reminders
    # Each reminder's channel and note are kept (one audit entry per reminder).
    history.wait_for(lambda: history.visited(pid, "RecordDepositReminder") == 2, 30, "both reminders recorded")
    reminded = [
        f for f in api.get(f"/orders/{order['id']}/timeline").json()["facts"] if f["action"] == "deposit.reminded"
    ]
    assert [(f["after"]["channel"], f["after"]["note"]) for f in reminded] == [("phone", "客户承诺三日内付定金")] * 2

    # Finance reports the deposit through the payments API, which tells the order (DepositReceived).
    _pay_deposit(api, order["id"])
    # Production (real door-production: shortages bought and received, stages, inspection), delivery,
    # installation (real door-installation), acceptance; then the follow-up waits for its timer.
    staff.work_until(pid, _reached(history, pid, "FollowUpDue"), timeout_s=240)
    assert api.get(f"/orders/{order['id']}").json()["status"] == "accepted"
    assert history.visited(pid, "WaitForDeposit") == 1  # not paid when checked: woken by DepositReceived
    [production] = history.child_instances(pid, "door-production")
    [installation] = history.child_instances(pid, "door-installation")
    assert history.instance_state(production) == history.instance_state(installation) == "COMPLETED"

    with clock_days_ahead(live_engine, _days(SETTINGS.follow_up_delay) + 0.1):
        staff.work_until(pid, _reached(history, pid, "RecordVisit"), timeout_s=60)
    staff.work_until(pid, lambda: history.instance_state(pid) == "COMPLETED", timeout_s=60)
    wall = time.monotonic() - started
    with capsys.disabled():  # shown in every run's output, not only on failure
        print(f"\n[lifecycle] one full door-order lifecycle took {wall:.1f}s wall time ({len(staff.done)} user tasks)")

    assert history.incidents(pid) == []
    assert history.instance_state(payments) == "COMPLETED"
    assert [t.element_id for t in staff.done].count("FollowUpVisit") == 1
    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.status == OrderStatus.COMPLETED
        [review] = s.scalars(select(OrderReview).where(OrderReview.order_id == stored.id)).all()
        assert review.feasible is True and review.production_ok and review.lead_time_days > 30
        [price] = s.scalars(select(PriceApproval).where(PriceApproval.order_id == stored.id)).all()
        assert (price.discount_percent, price.approver_group, price.decision) == (
            Decimal("8.00"),
            "sales-manager",
            PriceDecision.APPROVED,
        )
        assert price.net_total == Decimal("68685.36")  # 74658.00 × 0.92
        contract = s.scalars(select(Contract).where(Contract.order_id == stored.id)).one()
        assert contract.status == ContractStatus.SIGNED and contract.signed_by
        assert [v.legal_decision for v in contract.versions] == [LegalDecision.APPROVED]
        terms = contract.versions[0].payment_terms
        assert sum(Decimal(t["amount"]) for t in terms) == contract.total_amount
        sheet = s.scalars(select(HandoverSheet).where(HandoverSheet.order_id == stored.id)).one()
        assert {c.department for c in sheet.confirmations} == {"project", "customer-service", "finance"}
        assert all(c.confirmed_by and c.confirmed_at.tzinfo for c in sheet.confirmations)
        assert any("客户特别要求" in item for item in sheet.special_items)
        shipment = s.scalars(select(Shipment).where(Shipment.order_id == stored.id)).one()
        assert shipment.delivered_on == factory_today() and shipment.tracking_number == "SF1234567890"
        [acceptance] = s.scalars(select(Acceptance).where(Acceptance.order_id == stored.id)).all()
        assert acceptance.passed and acceptance.certificate_document_id is not None
        visit = s.scalars(select(FollowUpVisit).where(FollowUpVisit.order_id == stored.id)).one()
        assert visit.satisfaction == 5

    docs = api.get(f"/orders/{order['id']}/documents").json()
    kinds = {d["kind"] for d in docs}
    assert {"contract", "handover_sheet", "work_order", "installation_plan", "acceptance_certificate"} <= kinds, kinds
    # Who reads is the authenticated caller; the old free-text header is not looked at any more.
    claimed = api.get(f"/documents/{docs[0]['id']}/content", headers={"X-Doorflow-User": "x" * 200})
    assert claimed.status_code == 200
    for doc in docs:
        content = api.get(f"/documents/{doc['id']}/content")
        assert content.status_code == 200
        assert order["order_number"] in content.text
    for kind in ("work_order", "installation_plan", "contract"):
        html = api.get(f"/documents/{next(d['id'] for d in docs if d['kind'] == kind)}/content").text
        assert "钢质防盗门" in html and "左内开" in html, kind  # door type and handing named in Chinese
    contract_html = api.get(f"/documents/{next(d['id'] for d in docs if d['kind'] == 'contract')}/content").text
    assert "定金" in contract_html and "违约责任" in contract_html and "¥68,685.36" in contract_html

    timeline = api.get(f"/orders/{order['id']}/timeline").json()
    actions = [f["action"] for f in timeline["facts"]]
    for expected in (
        "review.recorded",
        "price.decided",
        "contract.signed",
        "handover.confirmed",
        "deposit.received",
        "shipment.delivered",
        "acceptance.recorded",
        "follow_up.visited",
        "order.completed",
    ):
        assert expected in actions, expected
    assert timeline["current_steps"] == []


def test_signed_contract_hands_the_payment_schedule_to_collection(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)
    order, pid = _start(api, customer_email="finance@example.cn")
    staff.work_until(pid, _reached(history, pid, "CollectPayments"), timeout_s=60, stop_at={"ConfirmHandoverProject"})
    # The collection process registers the contract's installments (deposit, progress, final).
    installments = _wait(lambda: api.get(f"/orders/{order['id']}/installments").json(), "the installments")
    assert [i["kind"] for i in installments] == ["deposit", "progress", "final"]
    # Only keys and names cross the call activity; the schedule is read from the signed contract in PostgreSQL.
    [child] = history.child_instances(pid, "payment-collection")
    assert history.business_key(child) == order["order_number"]
    assert history.variable(child, "orderId") == order["id"]
    assert history.variable(child, "orderNumber") == order["order_number"]
    assert history.variable(child, "customerEmail") == "finance@example.cn"
    assert history.variable(child, "customerName") == order["customer_name"]
    assert history.variable(child, "contractNumber") == "HT" + order["order_number"].removeprefix("DO")
    assert history.variable(child, "paymentSchedule") is None
    assert history.variable(pid, "paymentSchedule") is None
    with sessions() as s:
        contract = s.scalars(select(Contract).where(Contract.order_id == order["id"])).one()
        terms = {t["kind"]: Decimal(t["amount"]) for t in contract.versions[-1].payment_terms}
    assert {i["kind"]: Decimal(i["amount"]) for i in installments} == terms
    deposit_due = date.fromisoformat(installments[0]["due_date"])
    assert contract.signed_on is not None
    assert deposit_due == contract.signed_on + timedelta(days=SETTINGS.payment_deposit_due_days)


def test_deposit_paid_before_the_handover_is_done_is_not_waited_for(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """DepositReceived finds nobody waiting (Operaton buffers no message): the process reads the store first."""
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)
    order, pid = _start(api)
    staff.work_until(
        pid,
        lambda: any(t.element_id == "ConfirmHandoverFinance" for t in history.open_user_tasks(pid)),
        timeout_s=90,
        stop_at={"ConfirmHandoverFinance"},
    )
    _pay_deposit(api, order["id"])  # paid while finance has not yet confirmed the handover
    staff.work_until(pid, _completed(history, pid, "RecordDeposit"), timeout_s=60)
    assert history.visited(pid, "CheckDeposit") == 1
    assert history.visited(pid, "WaitForDeposit", "started") == 0  # never waited
    assert history.visited(pid, "DepositOverdue", "started") == 0
    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.status == OrderStatus.IN_PRODUCTION
        # The payment's DepositReceived had nobody to wake: withdrawn, not offered until its time-to-live ends.
        query = select(EngineMessage).where(EngineMessage.business_key == order["order_number"])
        [wake_up] = s.scalars(query.where(EngineMessage.name == "DepositReceived")).all()
        assert wake_up.delivered_at is None and wake_up.expired_at is not None
        assert wake_up.last_error is not None and wake_up.last_error.startswith("withdrawn")
    history.wait_for(lambda: history.child_instances(pid, "door-production"), 30, "production to start")
    _no_incident(history, pid)


@pytest.mark.engine_clock
def test_review_day_is_the_factory_calendar_day_of_the_engine_clock(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """At 16:30 UTC it is already the next day in the factory (Asia/Shanghai): the review counts from that day."""
    zone = ZoneInfo(SETTINGS.factory_timezone)
    pinned = datetime.combine(factory_day() + timedelta(days=1), dt_time(16, 30), tzinfo=UTC)
    assert pinned.astimezone(zone).date() != pinned.date()  # the two calendars disagree at this moment
    history = live_engine.history
    with clock_days_ahead(live_engine, (pinned.timestamp() - time.time()) / 86_400):
        order, pid = _start(api)
        SimulatedStaff(live_engine.client, history).work_until(
            pid, _completed(history, pid, "RecordReview"), timeout_s=60
        )
        reviewed_at = history.variable(pid, "reviewedAt")
    with sessions() as s:
        [review] = s.scalars(select(OrderReview).where(OrderReview.order_id == order["id"])).all()
    assert review.review_date == pinned.astimezone(zone).date()
    assert review.lead_time_days == (review.target_date - review.review_date).days
    # The task's input reviewedAt is the engine's now(): a Date with its offset, at the pinned instant.
    assert abs((datetime.fromisoformat(reviewed_at) - pinned).total_seconds()) < 300


def test_review_not_feasible_then_negotiated_date_is_reviewed_again(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)
    order, pid = _start(api)
    no = {"productionOk": "no", "productionEarliestDate": "2099-09-15", "productionComment": "下月产能已满"}
    staff.work_until(
        pid,
        _completed(history, pid, "PriceOrder"),
        overrides={"ReviewProductionCapacity": [no, {"productionOk": "yes", "productionComment": "新交期可排产"}]},
        timeout_s=90,
    )
    assert history.visited(pid, "NegotiateDeliveryDate") == 1
    assert history.visited(pid, "RecordReview") == 2
    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.agreed_delivery_date == date(2099, 9, 30)
        first, second = s.scalars(
            select(OrderReview).where(OrderReview.order_id == stored.id).order_by(OrderReview.round)
        ).all()
        assert (first.feasible, first.reason, first.negotiation_outcome) == (
            False,
            "生产产能不足，无法按期排产",
            "agreed",
        )
        assert first.production_earliest_date == date(2099, 9, 15)
        assert (second.feasible, second.target_date) == (True, date(2099, 9, 30))
    assert history.incidents(pid) == []


def test_short_lead_time_and_no_agreement_rejects_the_order(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)
    # Every department says yes, but the date is inside the configured minimum lead time.
    order, pid = _start(api, requested_delivery_date=(factory_day() + timedelta(days=10)).isoformat())
    refuse = {"negotiationOutcome": "rejected", "negotiationComment": "客户坚持十天内交货，无法满足"}
    staff.work_until(
        pid,
        lambda: history.instance_state(pid) == "COMPLETED",
        overrides={"NegotiateDeliveryDate": refuse},
        timeout_s=60,
    )
    assert history.visited(pid, "OrderRejected") == 1
    with sessions() as s:
        stored = s.get(Order, order["id"])
        assert stored is not None and stored.status == OrderStatus.REJECTED
        review = s.scalars(select(OrderReview).where(OrderReview.order_id == stored.id)).one()
        assert (review.feasible, review.reason) == (False, "要求交期短于最短交期")


def test_price_refusal_and_legal_rejection_loops(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)
    order, pid = _start(api, requested_discount_percent="20")
    refuse = {"priceDecision": "refused", "priceApprovedBy": "总经理 孙总", "priceComment": "折扣过大"}
    reject = {"legalDecision": "rejected", "legalReviewer": "赵律师", "legalComments": "违约金上限条款须明确"}
    approve = {"legalDecision": "approved", "legalReviewer": "赵律师", "legalComments": "已修改，同意"}
    staff.work_until(
        pid,
        _completed(history, pid, "RecordSignature"),
        overrides={"ApprovePrice": refuse, "LegalReview": [reject, approve]},
        timeout_s=120,
    )
    approvers = [t.candidate_groups for t in staff.done if t.element_id == "ApprovePrice"]
    assert approvers == [["general-manager"]]  # 20 %: general manager; revised to 5 %: nobody
    assert history.visited(pid, "DraftContract") == 2
    with sessions() as s:
        rounds = s.scalars(
            select(PriceApproval).where(PriceApproval.order_id == order["id"]).order_by(PriceApproval.round)
        ).all()
        assert [(r.discount_percent, r.decision) for r in rounds] == [
            (Decimal("20.00"), PriceDecision.REFUSED),
            (Decimal("5.00"), PriceDecision.NOT_REQUIRED),
        ]
        contract = s.scalars(select(Contract).where(Contract.order_id == order["id"])).one()
        v1, v2 = contract.versions
        assert (v1.legal_decision, v1.legal_comments) == (LegalDecision.REJECTED, "违约金上限条款须明确")
        assert (v2.legal_decision, v2.revision_note) == (LegalDecision.APPROVED, "按法务意见修改违约条款")
        assert contract.status == ContractStatus.SIGNED
        docs = s.scalars(
            select(Document).where(Document.order_id == order["id"], Document.kind == "contract").order_by(Document.id)
        ).all()
        assert [d.id for d in docs] == [v1.document_id, v2.document_id]
        assert [d.version for d in docs] == [1, 2]
        assert "违约金上限条款须明确" in docs[1].content  # the comments travel with the redraft
    assert history.incidents(pid) == []


def test_acceptance_failure_rework_and_bad_shipment_reports(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    history = live_engine.history
    order, pid = _start(api)
    # The warehouse receives purchased goods; this test reports the delivery and the deposit itself.
    systems = factory_responders(api, order["id"], pay=())
    staff = SimulatedStaff(live_engine.client, history, responders={"GoodsReceived": systems["GoodsReceived"]})
    # Finance confirms without a comment: the output mapping of the optional field must not fail.
    staff.work_until(
        pid,
        _reached(history, pid, "WaitForDeposit"),
        overrides={"ConfirmHandoverFinance": {"financeConfirmedBy": "财务部 周会计"}},
        timeout_s=120,
    )

    early = api.post(
        f"/orders/{order['id']}/shipment/delivered",
        json={"delivered_on": factory_today().isoformat(), "received_by": "王师傅", "tracking_number": "SF1234567890"},
    )
    assert early.status_code == 409  # nothing shipped yet

    _pay_deposit(api, order["id"])
    staff.work_until(pid, _reached(history, pid, "ShipmentDelivered"), timeout_s=180)
    wrong = api.post(
        f"/orders/{order['id']}/shipment/delivered",
        json={"delivered_on": factory_today().isoformat(), "received_by": "王师傅", "tracking_number": "YT000"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "tracking_number"]
    future = api.post(
        f"/orders/{order['id']}/shipment/delivered",
        json={
            "delivered_on": (factory_today() + timedelta(days=2)).isoformat(),
            "received_by": "王师傅",
            "tracking_number": "SF1234567890",
        },
    )
    assert future.status_code == 422
    with sessions() as s:
        sheet = s.scalars(select(HandoverSheet).where(HandoverSheet.order_id == order["id"])).one()
        assert {c.department: c.comment for c in sheet.confirmations}["finance"] is None
        shipment = s.scalars(select(Shipment).where(Shipment.order_id == order["id"])).one()
        assert shipment.delivered_on is None
        assert s.get(Order, order["id"]).status == OrderStatus.SHIPPED  # type: ignore[union-attr]
    assert history.visited(pid, "ShipmentDelivered") == 0

    _deliver(api, order["id"])
    failed = {"acceptancePassed": "no", "acceptedBy": "张建国", "acceptanceDefects": "3 号门关闭不严，门缝过大"}
    staff.work_until(
        pid,
        _reached(history, pid, "FollowUpDue"),
        overrides={
            "AcceptInstallation": [failed, {"acceptancePassed": "yes", "acceptedBy": "张建国", "acceptanceDefects": ""}]
        },
        timeout_s=60,
    )
    assert history.visited(pid, "ReworkInstallation") == 1
    with sessions() as s:
        first, second = s.scalars(
            select(Acceptance).where(Acceptance.order_id == order["id"]).order_by(Acceptance.round)
        ).all()
        assert (first.passed, first.defects, first.certificate_document_id) == (
            False,
            failed["acceptanceDefects"],
            None,
        )
        assert second.passed and second.rework_note == "已调整门扇间隙并更换密封条"
        assert second.certificate_document_id is not None
        assert s.get(Order, order["id"]).status == OrderStatus.ACCEPTED  # type: ignore[union-attr]
    assert history.incidents(pid) == []
