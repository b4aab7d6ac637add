"""After-sales tickets on the real engine: contact in time, escalation, rounds of confirmation, revisit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from doorflow.records import UserTask
from doorflow.settings import Settings
from doorflow.staff import SimulatedStaff
from models.aftersales.tables import ServiceTicket, TicketEvent
from tests.conftest import LiveEngine, order_payload, reset_engine_clock

pytestmark = pytest.mark.engine

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_BACKOFF_MS: int = Settings.model_fields["retry_backoff_max_ms"].default  # the workers' default


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
    """Open a ticket with the engine clock pinned to ``moment`` and wait until it is classified.

    The API starts the instance just before it commits, so the first job can find no ticket yet; the
    runtime then fails it with a retry back-off, which runs on the ENGINE clock and so never ends while
    the clock is pinned. If that happened, move the clock past the back-off, let the retry classify
    the ticket and pin ``moment`` again (the job's engine time was fixed when the task was entered).
    """
    live_engine.camunda.pin_clock(epoch_ms(moment))
    ticket = open_ticket(api, **overrides)
    pik, records = ticket["process_instance_key"], live_engine.records

    def classified() -> bool:
        return records.visited(pik, "RecordPriority") == 1

    def failed() -> bool:
        return any(r["intent"] == "FAILED" and r["value"]["processInstanceKey"] == pik for r in records.events("JOB"))

    records.wait_for(lambda: classified() or failed(), 30, "classification or a failed attempt")
    if not classified():
        live_engine.camunda.pin_clock(epoch_ms(moment) + MAX_BACKOFF_MS + 1_000)
        records.wait_for(classified, 30, "classification after the retry")
        live_engine.camunda.pin_clock(epoch_ms(moment))
    return ticket


def wait_task(live_engine: LiveEngine, pik: int, element_id: str, timeout_s: float = 60) -> UserTask:
    records = live_engine.records

    def find() -> UserTask | None:
        return next((t for t in records.open_user_tasks(pik) if t.element_id == element_id), None)

    def find_or_fail() -> UserTask | None:
        incidents = records.incidents(pik)
        assert not incidents, [i["value"]["errorMessage"] for i in incidents]
        return find()

    task: UserTask = records.wait_for(find_or_fail, timeout_s, f"user task {element_id}")
    return task


def ticket_row(sessions: sessionmaker[Session], number: str) -> ServiceTicket:
    with sessions() as s:
        return s.scalars(select(ServiceTicket).where(ServiceTicket.ticket_number == number)).one()


def wait_ticket(
    sessions: sessionmaker[Session], live_engine: LiveEngine, number: str, what: Any, name: str
) -> ServiceTicket:
    ticket: ServiceTicket = live_engine.records.wait_for(
        lambda: (t := ticket_row(sessions, number)) is not None and what(t) and t, 60, name
    )
    return ticket


def feedback(api: TestClient, number: str, satisfied: bool, comments: str = "") -> None:
    response = api.post(f"/tickets/{number}/feedback", json={"satisfied": satisfied, "comments": comments})
    assert response.status_code == 200, response.text


@pytest.mark.engine_clock
def test_ticket_contacted_in_time_is_resolved_and_revisited(
    api: TestClient, clock: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    live_engine = clock
    order = api.post("/orders", json=order_payload())
    assert order.status_code == 201, order.text
    order_number = order.json()["order_number"]

    ticket = open_ticket(api, order_number=order_number, door_line_no=2, channel="email")
    number, pik = ticket["ticket_number"], ticket["process_instance_key"]
    assert ticket["order_number"] == order_number and ticket["door_line_no"] == 2
    assert ticket["status"] == "opened"

    contact = wait_task(live_engine, pik, "FirstContact")
    assert contact.candidate_groups == ["service"]
    row = ticket_row(sessions, number)
    assert row.priority == "P1" and row.contact_deadline_hours == 2  # DMN: high × high
    assert row.contact_due_at is not None and row.status == "awaiting_contact"

    live_engine.camunda.complete_user_task(
        contact.key,
        {"customerReached": True, "initialSolution": "指导客户给锁芯加石墨粉，已恢复。", "solvedAtFirstContact": True},
    )
    row = wait_ticket(sessions, live_engine, number, lambda t: t.status == "awaiting_confirmation", "first contact")
    assert row.first_contact_at is not None and row.first_contact_at <= row.contact_due_at
    assert row.escalated is False and row.solved_at_first_contact is True

    feedback(api, number, True, "锁已正常")
    again = api.post(f"/tickets/{number}/feedback", json={"satisfied": True})
    assert again.status_code == 409  # the answer is taken once

    row = wait_ticket(sessions, live_engine, number, lambda t: t.revisit_due_on is not None, "resolution")
    assert row.status == "resolved" and row.feedback_count == 1 and row.reassessment_rounds == 0
    assert row.resolved_at is not None
    assert live_engine.records.visited(pik, "TechnicalAnalysis") == 0
    assert live_engine.records.visited(pik, "EscalateTicket") == 0

    live_engine.camunda.pin_clock(
        epoch_ms(datetime.combine(row.revisit_due_on, datetime.min.time(), SHANGHAI) + timedelta(hours=10))
    )
    revisit = wait_task(live_engine, pik, "RevisitCustomer")
    live_engine.camunda.complete_user_task(revisit.key, {"satisfactionScore": 4, "revisitComments": "希望上门更快"})
    live_engine.records.wait_for(lambda: live_engine.records.instance_state(pik) == "ELEMENT_COMPLETED", 30, "end")
    assert live_engine.records.incidents(pik) == []

    closed = api.get("/tickets", params={"status": "closed", "priority": "P1"}).json()
    assert number in [t["ticket_number"] for t in closed]
    body = api.get(f"/tickets/{number}").json()
    assert body["status"] == "closed" and body["satisfaction_score"] == 4 and body["revisit_done_at"]
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
    ticket = open_ticket(api, severity="low", urgency="low", problem_type="surface_finish")
    number, pik = ticket["ticket_number"], ticket["process_instance_key"]
    contact = wait_task(live_engine, pik, "FirstContact")
    row = ticket_row(sessions, number)
    assert row.priority == "P4" and row.contact_deadline_hours == 24
    assert row.contact_due_at is not None
    assert live_engine.records.visited(pik, "EscalateTicket") == 0

    live_engine.camunda.pin_clock(epoch_ms(row.contact_due_at + timedelta(minutes=1)))
    supervise = wait_task(live_engine, pik, "SuperviseContact")
    assert supervise.candidate_groups == ["service-supervisor"]
    row = wait_ticket(sessions, live_engine, number, lambda t: t.escalated, "the escalation flag")
    assert row.escalated_at is not None and row.escalated_at >= row.contact_due_at
    assert row.first_contact_at is None
    # The contact task is still the same open task: the timer did not interrupt it.
    assert contact.key in {t.key for t in live_engine.records.open_user_tasks(pik) if t.element_id == "FirstContact"}

    overdue = api.get("/tickets", params={"overdue_contact": "true", "priority": "P4"}).json()
    assert number in [t["ticket_number"] for t in overdue]
    assert number not in [t["ticket_number"] for t in api.get("/tickets", params={"overdue_contact": "false"}).json()]

    live_engine.camunda.complete_user_task(
        contact.key, {"customerReached": True, "initialSolution": "已约定补漆。", "solvedAtFirstContact": True}
    )
    row = wait_ticket(sessions, live_engine, number, lambda t: t.first_contact_at is not None, "late contact")
    assert row.first_contact_at > row.contact_due_at  # reported as late
    assert row.status == "awaiting_confirmation"
    live_engine.camunda.complete_user_task(supervise.key, {"supervisorNote": "已督促售后专员联系客户。"})
    live_engine.records.wait_for(lambda: live_engine.records.visited(pik, "EscalationHandled"), 30, "escalation end")
    assert live_engine.records.incidents(pik) == []
    kinds = [e["kind"] for e in api.get(f"/tickets/{number}").json()["events"]]
    assert kinds == ["opened", "classified", "escalated", "first_contact", "supervised"]


def test_two_unsatisfied_confirmations_go_round_again_and_are_counted(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    ticket = open_ticket(api, severity="medium", urgency="low", problem_type="hinge_alignment")
    number, pik = ticket["ticket_number"], ticket["process_instance_key"]
    staff = SimulatedStaff(live_engine.camunda, live_engine.records)

    for round_no in (1, 2, 3):
        row = staff.work_until(
            pik,
            lambda n=round_no: (
                (t := ticket_row(sessions, number)).status == "awaiting_confirmation"
                and t.feedback_count == n - 1
                and t
            ),
            stop_at={"RevisitCustomer"},
        )
        assert row.repaired_at is not None and row.decision == "repair"
        feedback(api, number, satisfied=round_no == 3, comments=f"第{round_no}次确认")
        row = wait_ticket(
            sessions, live_engine, number, lambda t, n=round_no: t.feedback_count == n, "feedback counted"
        )

    row = wait_ticket(sessions, live_engine, number, lambda t: t.status == "resolved", "resolution")
    assert row.reassessment_rounds == 2 and row.feedback_count == 3
    assert row.priority == "P3" and row.contact_deadline_hours == 8  # DMN: medium × low
    assert live_engine.records.visited(pik, "TechnicalAnalysis") == 3
    assert live_engine.records.visited(pik, "RepairOrVisit") == 3
    assert live_engine.records.visited(pik, "RecordFeedback") == 3
    assert live_engine.records.incidents(pik) == []
    with sessions() as s:
        informed = s.scalar(
            select(func.count()).where(TicketEvent.ticket_id == row.id, TicketEvent.kind == "customer_informed")
        )
    # told at hand-over to technical, at each plan, at each repair and at each "not satisfied"
    assert informed == 1 + 3 + 3 + 2


@pytest.mark.engine_clock
def test_revisit_after_national_day_waits_for_the_adjusted_working_saturday(
    api: TestClient, clock: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """Resolved on 30 September 2026 (engine time): the 3rd working day is Saturday 10 October (调休)."""
    live_engine = clock
    resolved_moment = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    ticket = open_ticket_at(api, live_engine, resolved_moment, severity="critical", urgency="low")
    number, pik = ticket["ticket_number"], ticket["process_instance_key"]
    contact = wait_task(live_engine, pik, "FirstContact")
    live_engine.camunda.complete_user_task(
        contact.key, {"customerReached": True, "initialSolution": "远程指导复位。", "solvedAtFirstContact": True}
    )
    wait_ticket(sessions, live_engine, number, lambda t: t.status == "awaiting_confirmation", "first contact")
    feedback(api, number, True)
    row = wait_ticket(sessions, live_engine, number, lambda t: t.revisit_due_on is not None, "resolution")

    assert row.resolved_at == resolved_moment  # engine time, not the worker's clock
    assert row.priority == "P1" and row.contact_deadline_hours == 2  # DMN: critical × any urgency
    assert row.contact_due_at == resolved_moment + timedelta(hours=2)  # wall-clock hours from engine time
    assert row.revisit_due_on == date(2026, 10, 10)
    due = datetime(2026, 10, 10, 9, 0, tzinfo=SHANGHAI)
    timers = [
        r
        for r in live_engine.records.events("TIMER")
        if r["intent"] == "CREATED"
        and r["value"]["processInstanceKey"] == pik
        and r["value"]["targetElementId"] == "RevisitDue"
    ]
    assert [t["value"]["dueDate"] for t in timers] == [epoch_ms(due)]

    # The holiday passes, Friday 9 October ends: no revisit yet.
    live_engine.camunda.pin_clock(epoch_ms(datetime(2026, 10, 9, 23, 0, tzinfo=SHANGHAI)))
    assert live_engine.records.visited(pik, "RevisitDue") == 0
    assert not [t for t in live_engine.records.open_user_tasks(pik) if t.element_id == "RevisitCustomer"]

    live_engine.camunda.pin_clock(epoch_ms(due + timedelta(minutes=1)))
    revisit = wait_task(live_engine, pik, "RevisitCustomer")
    assert live_engine.records.visited(pik, "RevisitDue") == 1
    live_engine.camunda.complete_user_task(revisit.key, {"satisfactionScore": 5})
    live_engine.records.wait_for(lambda: live_engine.records.instance_state(pik) == "ELEMENT_COMPLETED", 30, "end")
    row = ticket_row(sessions, number)
    assert row.status == "closed" and row.satisfaction_score == 5
    assert row.revisit_done_at is not None and row.revisit_done_at >= due
    assert live_engine.records.incidents(pik) == []


def _after_sales_starts(live_engine: LiveEngine) -> int:
    return sum(
        1
        for r in live_engine.records.events("PROCESS_INSTANCE")
        if r["intent"] == "ELEMENT_ACTIVATED"
        and r["value"]["bpmnElementType"] == "PROCESS"
        and r["value"]["bpmnProcessId"] == "after-sales"
    )


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


def test_feedback_errors(api: TestClient, live_engine: LiveEngine) -> None:
    assert api.post("/tickets/AS00000000-00000/feedback", json={"satisfied": True}).status_code == 404
    assert api.get("/tickets/AS00000000-00000").status_code == 404
    number = open_ticket(api)["ticket_number"]
    response = api.post(f"/tickets/{number}/feedback", json={"satisfied": True})
    assert response.status_code == 409  # nobody has asked the customer yet
    response = api.post(f"/tickets/{number}/feedback", json={"satisfied": "maybe"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "satisfied"]
    assert api.get("/tickets", params={"status": "nonsense"}).status_code == 422
