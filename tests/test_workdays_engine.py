"""A ticket resolved at the end of 2026 on the real engine, the revisit falling in 2027 (which the
chinese-calendar package does not know): without a schedule it is counted Monday to Friday with a warning
instead of an incident; with the factory's schedule file (a made-up test fixture) its holidays are skipped
and its adjusted working Saturday counts. The engine clock is moved; the timer fires on the computed day.

The worker and the API of this module read their schedule files from a folder of their own, so the
files committed in config/workdays/ do not matter here.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow import stack
from doorflow.settings import Settings
from models.aftersales.tables import ServiceTicket
from tests.conftest import LiveEngine, authed, reset_engine_clock
from tests.test_aftersales_engine import (
    completed,
    epoch_ms,
    feedback,
    open_ticket_at,
    timer_due_dates,
    wait_task,
)

pytestmark = pytest.mark.engine

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIXTURE = Path(__file__).parent / "resources" / "workdays" / "2027.json"


@pytest.fixture(scope="module")
def workdays_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workdays")


@pytest.fixture(scope="module")
def calendar_workers(
    live_engine: LiveEngine, db_url: str, workdays_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[stack.Child]:
    env = stack.child_env(db_url, live_engine.cfg.url, api_port=0)
    env["DOORFLOW_WORKDAYS_DIR"] = str(workdays_dir)
    env["DOORFLOW_ENGINE_REQUEST_TIMEOUT_S"] = "60"  # six engines share two cores while these tests run
    child = stack.start_workers(env, tmp_path_factory.mktemp("calendar-worker-logs"))
    yield child
    child.stop()


@pytest.fixture
def calendar_api(db_url: str, live_engine: LiveEngine, workdays_dir: Path) -> Iterator[TestClient]:
    settings = Settings(
        _env_file=None,
        database_url=db_url,
        engine_url=live_engine.cfg.url,
        workdays_dir=workdays_dir,
        engine_request_timeout_s=60,  # a loaded machine; a timeout would be a 503, not what is tested here
    )
    with TestClient(create_app(settings)) as client:
        yield authed(client)


@pytest.fixture
def clock(live_engine: LiveEngine) -> Iterator[LiveEngine]:
    try:
        yield live_engine
    finally:
        reset_engine_clock(live_engine)


def resolve_satisfied(
    api: TestClient, live_engine: LiveEngine, sessions: sessionmaker[Session], moment: datetime
) -> tuple[str, str, ServiceTicket]:
    """Open a ticket at engine time ``moment``, solve it at first contact, the customer is satisfied;
    wait until the resolution is stored, failing at once on an incident."""
    ticket = open_ticket_at(api, live_engine, moment, severity="critical", urgency="low")
    number, pid = ticket["ticket_number"], ticket["process_instance_id"]
    contact = wait_task(live_engine, pid, "FirstContact")
    live_engine.client.complete_task(
        contact.id, {"customerReached": True, "initialSolution": "远程指导复位。", "solvedAtFirstContact": True}
    )

    def row_where(what: Any) -> ServiceTicket | None:
        open_incidents = [i["incidentMessage"] for i in live_engine.history.incidents(pid) if i["open"]]
        assert not open_incidents, open_incidents
        with sessions() as s:
            row = s.scalars(select(ServiceTicket).where(ServiceTicket.ticket_number == number)).one()
        return row if what(row) else None

    live_engine.history.wait_for(lambda: row_where(lambda t: t.status == "awaiting_confirmation"), 60, "contact")
    feedback(api, number, True)
    row: ServiceTicket = live_engine.history.wait_for(
        lambda: row_where(lambda t: t.revisit_due_on is not None), 60, "the resolution with its revisit date"
    )
    return number, pid, row


def revisit_on_time(live_engine: LiveEngine, pid: str, due: datetime) -> None:
    """The revisit timer waits for ``due``: not before, the revisit task right after; then the ticket closes."""
    history = live_engine.history
    dues = history.wait_for(lambda: timer_due_dates(live_engine, pid, "RevisitDue"), 30, "the revisit timer")
    assert dues == [epoch_ms(due)]
    live_engine.client.pin_clock(epoch_ms(due - timedelta(hours=10)))
    time.sleep(3)  # a due timer would fire now (the job executor is woken by the clock move)
    assert history.visited(pid, "RevisitDue") == 0
    live_engine.client.pin_clock(epoch_ms(due + timedelta(minutes=1)))
    revisit = wait_task(live_engine, pid, "RevisitCustomer")
    live_engine.client.complete_task(revisit.id, {"satisfactionScore": 5})
    history.wait_for(lambda: completed(live_engine, pid), 30, "end")
    assert history.incidents(pid) == []


@pytest.mark.engine_clock
def test_a_revisit_in_a_year_without_schedule_falls_on_a_weekday_with_a_warning_not_an_incident(
    calendar_api: TestClient,
    clock: LiveEngine,
    calendar_workers: stack.Child,
    sessions: sessionmaker[Session],
    workdays_dir: Path,
) -> None:
    for leftover in workdays_dir.glob("*.json"):
        leftover.unlink()
    # Tuesday 29 December 2026 → Wed 30 (1), Thu 31 (2), Fri 1 January 2027 (3, counted Monday to Friday).
    number, pid, row = resolve_satisfied(calendar_api, clock, sessions, datetime(2026, 12, 29, 10, 0, tzinfo=SHANGHAI))
    assert row.status == "resolved" and row.revisit_due_on == date(2027, 1, 1)

    body = calendar_api.get(f"/tickets/{number}").json()
    assert body["status"] == "resolved" and body["revisit_due_on"] == "2027-01-01"
    assert "2027 年" in body["calendar_warning"] and "config/workdays/2027.json" in body["calendar_warning"]
    report = calendar_api.get("/reports/after-sales").json()
    assert any(number in w for w in report["calendar_warnings"]), report["calendar_warnings"]

    revisit_on_time(clock, pid, datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI))
    # Revisited: the ticket keeps its warning, the report no longer lists it as a revisit to check.
    assert calendar_api.get(f"/tickets/{number}").json()["calendar_warning"] == body["calendar_warning"]
    report = calendar_api.get("/reports/after-sales").json()
    assert not any(number in w for w in report["calendar_warnings"])


@pytest.mark.engine_clock
def test_the_factory_schedule_file_moves_the_revisit_over_its_holidays_to_its_adjusted_saturday(
    calendar_api: TestClient,
    clock: LiveEngine,
    calendar_workers: stack.Child,
    sessions: sessionmaker[Session],
    workdays_dir: Path,
) -> None:
    # Entered while the worker runs: it reads the folder again when a file changes.
    shutil.copy(FIXTURE, workdays_dir / "2027.json")
    try:
        # Thursday 31 December 2026 → the fixture's 1-6 January off → Thu 7 (1), Fri 8 (2), Sat 9 (3, 调休).
        number, pid, row = resolve_satisfied(
            calendar_api, clock, sessions, datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)
        )
        assert row.revisit_due_on == date(2027, 1, 9) and row.calendar_warning is None
        body = calendar_api.get(f"/tickets/{number}").json()
        assert body["revisit_due_on"] == "2027-01-09" and body["calendar_warning"] is None
        assert calendar_api.get("/calendar/2027").json()["source"] == "factory"
        revisit_on_time(clock, pid, datetime(2027, 1, 9, 9, 0, tzinfo=SHANGHAI))
    finally:
        (workdays_dir / "2027.json").unlink()
