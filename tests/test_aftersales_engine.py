"""After-sales tickets on the real engine: contact in time, escalation, rounds of confirmation, revisit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from doorflow.history import UserTask
from doorflow.operaton import parse_date
from doorflow.staff import SimulatedStaff
from models.aftersales.tables import ServiceTicket, TicketEvent
from models.outbox import EngineMessage
from tests.conftest import LiveEngine, order_payload, reset_engine_clock

pytestmark = pytest.mark.engine

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The engine clock keeps running from the instant a test moves it to: engine times taken a little
# later (the next step's ``${now()}``) lie within this much of that instant.
CLOCK_SLACK = timedelta(minutes=2)


def ticket_payload(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "customer_name": "杭州绿城物业有限公司",
        "customer_phone": "0571-88886666",
        "product_model": "GF-960 防盗门",
        "problem_type": "lock_hardware",
        "problem_description": "入户门锁舌卡滞，钥匙难以转动。",
        "channel": "hotline",
        "severity": "high",
        "urgency": "high",
    }
    body.update(overrides)
    return body


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def clock(live_engine: LiveEngine) -> Iterator[LiveEngine]:
    """The engine clock may be moved in the test; it is always reset afterwards."""
    try:
        yield live_engine
    finally:
        reset_engine_clock(live_engine)


def open_ticket(api: TestClient, **overrides: object) -> dict[str, Any]:
    response = api.post("/tickets", json=ticket_payload(**overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


def open_ticket_at(api: TestClient, live_engine: LiveEngine, moment: datetime, **overrides: object) -> dict[str, Any]:
    """Open a ticket with the engine clock moved to ``moment`` and wait until it is classified.

    The API starts the instance just before it commits, so the first attempt of the classification
    can find no ticket yet; the runtime then retries it after a back-off. Its engine time stays the
    one taken when the task was entered (the input mapping ``${now()}``).
    """
    live_engine.client.pin_clock(epoch_ms(moment))
    ticket = open_ticket(api, **overrides)
    pid = ticket["process_instance_id"]
    live_engine.history.wait_for(
        lambda: live_engine.history.visited(pid, "RecordPriority") == 1, 60, "the classification"
    )
    return ticket


def wait_task(live_engine: LiveEngine, pid: str, element_id: str, timeout_s: float = 60) -> UserTask:
    history = live_engine.history

    def find_or_fail() -> UserTask | None:
        incidents = [i for i in history.incidents(pid) if i["open"]]
        assert not incidents, [i["incidentMessage"] for i in incidents]
        return next((t for t in history.open_user_tasks(pid) if t.element_id == element_id), None)

    task: UserTask = history.wait_for(find_or_fail, timeout_s, f"user task {element_id}")
    return task


def ticket_row(sessions: sessionmaker[Session], number: str) -> ServiceTicket:
    with sessions() as s:
        return s.scalars(select(ServiceTicket).where(ServiceTicket.ticket_number == number)).one()


def wait_ticket(
    sessions: sessionmaker[Session], live_engine: LiveEngine, number: str, what: Any, name: str
) -> ServiceTicket:
    ticket: ServiceTicket = live_engine.history.wait_for(
        lambda: (t := ticket_row(sessions, number)) is not None and what(t) and t, 60, name
    )
    return ticket


def feedback(api: TestClient, number: str, satisfied: bool, comments: str = "") -> None:
    response = api.post(f"/tickets/{number}/feedback", json={"satisfied": satisfied, "comments": comments})
    assert response.status_code == 200, response.text


def timer_due_dates(live_engine: LiveEngine, pid: str, element_id: str) -> list[int]:
    """Due dates (epoch ms) of the instance's pending timers at ``element_id``."""
    jobs = live_engine.client.get("/job", processInstanceId=pid, activityId=element_id, timers="true")
    return [epoch_ms(parse_date(j["dueDate"])) for j in jobs]


def completed(live_engine: LiveEngine, pid: str) -> bool:
    return live_engine.history.instance_state(pid) == "COMPLETED"


@pytest.mark.parametrize(
    ("severity", "urgency", "priority", "hours"),
    [
        ("critical", "low", "P1", 2),
        ("critical", "high", "P1", 2),
        ("high", "high", "P1", 2),
        ("high", "medium", "P2", 4),
        ("high", "low", "P2", 4),
        ("medium", "high", "P2", 4),
        ("medium", "low", "P3", 8),
        ("low", "high", "P3", 8),
        ("low", "medium", "P4", 24),
        ("low", "low", "P4", 24),
    ],
)
def test_service_priority_decision_on_the_engine(
    live_engine: LiveEngine, severity: str, urgency: str, priority: str, hours: int
) -> None:
    """Every rule of the manager's table, evaluated by the engine (FIRST hit policy: one row, two columns)."""
    rows = live_engine.client.evaluate_decision("service-priority", {"severity": severity, "urgency": urgency})
    assert rows == [{"priority": priority, "contactDeadlineHours": hours}]


@pytest.mark.engine_clock
def test_ticket_contacted_in_time_is_resolved_and_revisited(
    api: TestClient, clock: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    live_engine = clock
    order = api.post("/orders", json=order_payload())
    assert order.status_code == 201, order.text
    order_number = order.json()["order_number"]

    ticket = open_ticket(api, order_number=order_number, door_line_no=2, channel="email")
    number, pid = ticket["ticket_number"], ticket["process_instance_id"]
    assert ticket["order_number"] == order_number and ticket["door_line_no"] == 2
    assert ticket["status"] == "opened"
    assert live_engine.history.business_key(pid) == number

    contact = wait_task(live_engine, pid, "FirstContact")
    assert contact.candidate_groups == ["service"]
    form = live_engine.client.get(f"/task/{contact.id}/form")
    assert form["operatonFormRef"]["key"] == "after-sales-first-contact"
    row = ticket_row(sessions, number)
    assert row.priority == "P1" and row.contact_deadline_hours == 2  # DMN: high × high, via the output mapping
    assert row.contact_due_at is not None and row.status == "awaiting_contact"
    # The boundary timer waits for the Date the worker returned.
    assert timer_due_dates(live_engine, pid, "ContactDeadlinePassed") == [epoch_ms(row.contact_due_at)]

    live_engine.client.complete_task(
        contact.id,
        {"customerReached": True, "initialSolution": "指导客户给锁芯加石墨粉，已恢复。", "solvedAtFirstContact": True},
    )
    row = wait_ticket(sessions, live_engine, number, lambda t: t.status == "awaiting_confirmation", "first contact")
    assert row.first_contact_at is not None and row.contact_due_at is not None
    assert row.first_contact_at <= row.contact_due_at
    assert row.escalated is False and row.solved_at_first_contact is True

    feedback(api, number, True, "锁已正常")
    again = api.post(f"/tickets/{number}/feedback", json={"satisfied": True})
    assert again.status_code == 409  # the answer is taken once

    row = wait_ticket(sessions, live_engine, number, lambda t: t.revisit_due_on is not None, "resolution")
    assert row.status == "resolved" and row.feedback_count == 1 and row.reassessment_rounds == 0
    assert row.resolved_at is not None
    assert live_engine.history.visited(pid, "TechnicalAnalysis") == 0
    assert live_engine.history.visited(pid, "EscalateTicket") == 0
    assert timer_due_dates(live_engine, pid, "ContactDeadlinePassed") == []  # gone with the contact task
    with sessions() as s:
        sent = s.scalars(select(EngineMessage).where(EngineMessage.message_id == f"{number}-feedback-1")).one()
        assert (sent.name, sent.business_key, sent.local_keys) == ("CustomerFeedback", number, {})
        assert sent.delivered_at is not None

    assert row.revisit_due_on is not None
    live_engine.client.pin_clock(
        epoch_ms(datetime.combine(row.revisit_due_on, datetime.min.time(), SHANGHAI) + timedelta(hours=10))
    )
    revisit = wait_task(live_engine, pid, "RevisitCustomer")
    live_engine.client.complete_task(revisit.id, {"satisfactionScore": 4, "revisitComments": "希望上门更快"})
    live_engine.history.wait_for(lambda: completed(live_engine, pid), 30, "end")
    assert live_engine.history.incidents(pid) == []

    closed = api.get("/tickets", params={"status": "closed", "priority": "P1"}).json()
    assert number in [t["ticket_number"] for t in closed]
    body = api.get(f"/tickets/{number}").json()
    assert body["status"] == "closed" and body["satisfaction_score"] == 4 and body["revisit_done_at"]
    assert body["process_instance_id"] == pid
    kinds = [e["kind"] for e in body["events"]]
    assert kinds == ["opened", "classified", "first_contact", "feedback", "resolved", "revisited"]

    report = api.get("/reports/after-sales").json()
    assert report["ticket_count"] >= 1 and report["by_problem_type"]["lock_hardware"] >= 1
    assert report["revisited_count"] >= 1 and 1 <= report["mean_satisfaction"] <= 5
    assert report["mean_resolution_hours"] is not None
    assert 0 < report["first_contact_within_deadline_rate"] <= 1


@pytest.mark.engine_clock
def test_missed_contact_deadline_escalates_and_leaves_the_contact_task_open(
    api: TestClient, clock: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    live_engine = clock
    history = live_engine.history
    ticket = open_ticket(api, severity="low", urgency="low", problem_type="surface_finish")
    number, pid = ticket["ticket_number"], ticket["process_instance_id"]
    contact = wait_task(live_engine, pid, "FirstContact")
    row = ticket_row(sessions, number)
    assert row.priority == "P4" and row.contact_deadline_hours == 24
    assert row.contact_due_at is not None
    assert history.visited(pid, "EscalateTicket") == 0

    live_engine.client.pin_clock(epoch_ms(row.contact_due_at + timedelta(minutes=1)))
    supervise = wait_task(live_engine, pid, "SuperviseContact")
    assert supervise.candidate_groups == ["service-supervisor"]
    due_at = row.contact_due_at
    row = wait_ticket(sessions, live_engine, number, lambda t: t.escalated, "the escalation flag")
    assert row.escalated_at is not None and row.escalated_at >= due_at
    assert row.first_contact_at is None
    # The contact task is still the same open task: the timer did not interrupt it.
    assert contact.id in {t.id for t in history.open_user_tasks(pid) if t.element_id == "FirstContact"}

    overdue = api.get("/tickets", params={"overdue_contact": "true", "priority": "P4"}).json()
    assert number in [t["ticket_number"] for t in overdue]
    assert number not in [t["ticket_number"] for t in api.get("/tickets", params={"overdue_contact": "false"}).json()]

    live_engine.client.complete_task(
        contact.id, {"customerReached": True, "initialSolution": "已约定补漆。", "solvedAtFirstContact": True}
    )
    row = wait_ticket(sessions, live_engine, number, lambda t: t.first_contact_at is not None, "late contact")
    assert row.first_contact_at is not None and row.first_contact_at > due_at  # reported as late
    assert row.status == "awaiting_confirmation"
    live_engine.client.complete_task(supervise.id, {"supervisorNote": "已督促售后专员联系客户。"})
    history.wait_for(lambda: history.visited(pid, "EscalationHandled"), 30, "escalation end")
    assert history.incidents(pid) == []
    kinds = [e["kind"] for e in api.get(f"/tickets/{number}").json()["events"]]
    assert kinds == ["opened", "classified", "escalated", "first_contact", "supervised"]


def test_two_unsatisfied_confirmations_go_round_again_and_are_counted(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    ticket = open_ticket(api, severity="medium", urgency="low", problem_type="hinge_alignment")
    number, pid = ticket["ticket_number"], ticket["process_instance_id"]
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)

    def waiting_for_answer(round_no: int) -> ServiceTicket | None:
        t = ticket_row(sessions, number)
        return t if t.status == "awaiting_confirmation" and t.feedback_count == round_no - 1 else None

    for round_no in (1, 2, 3):
        row = staff.work_until(pid, partial(waiting_for_answer, round_no), stop_at={"RevisitCustomer"})
        assert row.repaired_at is not None and row.decision == "repair"
        feedback(api, number, satisfied=round_no == 3, comments=f"第{round_no}次确认")
        row = wait_ticket(
            sessions, live_engine, number, lambda t, n=round_no: t.feedback_count == n, "feedback counted"
        )

    row = wait_ticket(sessions, live_engine, number, lambda t: t.status == "resolved", "resolution")
    assert row.reassessment_rounds == 2 and row.feedback_count == 3
    assert row.priority == "P3" and row.contact_deadline_hours == 8  # DMN: medium × low
    assert history.visited(pid, "TechnicalAnalysis") == 3
    assert history.visited(pid, "RepairOrVisit") == 3
    assert history.visited(pid, "RecordFeedback") == 3
    assert history.incidents(pid) == []
    with sessions() as s:
        informed = s.scalar(
            select(func.count()).where(TicketEvent.ticket_id == row.id, TicketEvent.kind == "customer_informed")
        )
        messages = list(
            s.scalars(select(EngineMessage).where(EngineMessage.business_key == number).order_by(EngineMessage.id))
        )
    # told at hand-over to technical, at each plan, at each repair and at each "not satisfied"
    assert informed == 1 + 3 + 3 + 2
    # one CustomerFeedback per round, each delivered to the instance waiting for it
    assert [(m.message_id, m.variables["satisfied"]) for m in messages] == [
        (f"{number}-feedback-1", False),
        (f"{number}-feedback-2", False),
        (f"{number}-feedback-3", True),
    ]
    assert all(m.delivered_at is not None for m in messages)


@pytest.mark.engine_clock
def test_revisit_after_national_day_waits_for_the_adjusted_working_saturday(
    api: TestClient, clock: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """Resolved on 30 September 2026 (engine time): the 3rd working day is Saturday 10 October (调休)."""
    live_engine = clock
    history = live_engine.history
    resolved_moment = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    ticket = open_ticket_at(api, live_engine, resolved_moment, severity="critical", urgency="low")
    number, pid = ticket["ticket_number"], ticket["process_instance_id"]
    contact = wait_task(live_engine, pid, "FirstContact")
    live_engine.client.complete_task(
        contact.id, {"customerReached": True, "initialSolution": "远程指导复位。", "solvedAtFirstContact": True}
    )
    wait_ticket(sessions, live_engine, number, lambda t: t.status == "awaiting_confirmation", "first contact")
    feedback(api, number, True)
    row = wait_ticket(sessions, live_engine, number, lambda t: t.revisit_due_on is not None, "resolution")

    # Engine time, not the worker's clock (that says December): the moment the clock was moved to, plus
    # the seconds the steps took since.
    assert row.resolved_at is not None and resolved_moment <= row.resolved_at < resolved_moment + CLOCK_SLACK
    assert row.priority == "P1" and row.contact_deadline_hours == 2  # DMN: critical × any urgency
    assert row.contact_due_at is not None
    classified_at = next(e.at for e in row_events(sessions, row.id) if e.kind == "classified")
    assert row.contact_due_at == classified_at + timedelta(hours=2)  # wall-clock hours from engine time
    assert resolved_moment <= classified_at < resolved_moment + CLOCK_SLACK
    assert row.revisit_due_on == date(2026, 10, 10)
    due = datetime(2026, 10, 10, 9, 0, tzinfo=SHANGHAI)
    # The worker commits the date just before the engine takes its result and starts the timer.
    dues = history.wait_for(lambda: timer_due_dates(live_engine, pid, "RevisitDue"), 30, "the revisit timer")
    assert dues == [epoch_ms(due)]

    # The holiday passes, Friday 9 October ends: no revisit yet.
    live_engine.client.pin_clock(epoch_ms(datetime(2026, 10, 9, 23, 0, tzinfo=SHANGHAI)))
    time.sleep(3)  # the job executor is woken by the clock move; give a due timer the chance to fire
    assert history.visited(pid, "RevisitDue") == 0
    assert timer_due_dates(live_engine, pid, "RevisitDue") == [epoch_ms(due)]
    assert not [t for t in history.open_user_tasks(pid) if t.element_id == "RevisitCustomer"]

    live_engine.client.pin_clock(epoch_ms(due + timedelta(minutes=1)))
    revisit = wait_task(live_engine, pid, "RevisitCustomer")
    assert history.visited(pid, "RevisitDue") == 1
    live_engine.client.complete_task(revisit.id, {"satisfactionScore": 5})
    history.wait_for(lambda: completed(live_engine, pid), 30, "end")
    row = ticket_row(sessions, number)
    assert row.status == "closed" and row.satisfaction_score == 5
    assert row.revisit_done_at is not None and row.revisit_done_at >= due
    assert history.incidents(pid) == []


def row_events(sessions: sessionmaker[Session], ticket_id: int) -> list[TicketEvent]:
    with sessions() as s:
        return list(s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


def _after_sales_starts(live_engine: LiveEngine) -> int:
    return int(live_engine.client.get("/history/process-instance/count", processDefinitionKey="after-sales")["count"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"order_number": "DO19990101-99999"}, ["body", "order_number"]),
        ({"door_line_no": 1}, ["body", "door_line_no"]),
        ({"channel": "fax"}, ["body", "channel"]),
        ({"severity": "apocalyptic"}, ["body", "severity"]),
        ({"problem_description": "   "}, ["body", "problem_description"]),
        ({"customer_email": "not-an-address"}, ["body", "customer_email"]),
        ({"product_model": ""}, ["body", "product_model"]),
    ],
)
def test_invalid_intake_is_refused_and_nothing_is_stored(
    api: TestClient,
    live_engine: LiveEngine,
    sessions: sessionmaker[Session],
    change: dict[str, object],
    field: list[object],
) -> None:
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(ServiceTicket))
    starts = _after_sales_starts(live_engine)

    response = api.post("/tickets", json=ticket_payload(**change))

    assert response.status_code == 422, response.text
    assert field in [d["loc"] for d in response.json()["detail"]]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ServiceTicket)) == before
    assert _after_sales_starts(live_engine) == starts


def test_unknown_door_line_of_a_real_order_is_refused(api: TestClient, sessions: sessionmaker[Session]) -> None:
    order_number = api.post("/orders", json=order_payload()).json()["order_number"]
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(ServiceTicket))
    response = api.post("/tickets", json=ticket_payload(order_number=order_number, door_line_no=9))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "door_line_no"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ServiceTicket)) == before


def test_feedback_errors(api: TestClient, live_engine: LiveEngine, sessions: sessionmaker[Session]) -> None:
    assert api.post("/tickets/AS00000000-00000/feedback", json={"satisfied": True}).status_code == 404
    assert api.get("/tickets/AS00000000-00000").status_code == 404
    number = open_ticket(api)["ticket_number"]
    response = api.post(f"/tickets/{number}/feedback", json={"satisfied": True})
    assert response.status_code == 409  # nobody has asked the customer yet
    response = api.post(f"/tickets/{number}/feedback", json={"satisfied": "maybe"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "satisfied"]
    assert api.get("/tickets", params={"status": "nonsense"}).status_code == 422
    with sessions() as s:  # a refused answer sends nothing to the engine
        assert s.scalar(select(func.count()).where(EngineMessage.business_key == number)) == 0
