"""The working-day calendar for a year the package does not know: the factory's schedule file, its
validation, the Monday-to-Friday fallback with its warning, the reports' warnings, production planning.

The engine side (a ticket resolved at the end of 2026: no incident, the warning on the ticket and in the
report, then the factory's file used) is in tests/test_workdays_engine.py.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import ROOT
from models import calendar
from models.aftersales import service as aftersales
from models.aftersales.tables import Channel, ProblemType, ServiceTicket, Severity, TicketStatus, Urgency
from models.calendar import ScheduleError, Source, WorkCalendar, parse_schedule, read_folder, report_warnings
from models.db import unit_of_work
from models.orders.schemas import OrderIn
from models.orders.service import OrderLimits, create_order
from models.orders.tables import Order
from models.production import service as production
from models.production.tables import ProductionPlan
from models.reports.service import order_kpis
from tests.conftest import order_payload
from tests.days import factory_day

FIXTURE_DIR = Path(__file__).parent / "resources" / "workdays"  # a made-up 2027 schedule, not the official one
SHANGHAI = ZoneInfo("Asia/Shanghai")
RULE = aftersales.RevisitRule(working_days=3, zone=SHANGHAI, time_of_day=time(9, 0))


def no_schedule() -> WorkCalendar:
    return WorkCalendar()


def fixture_calendar() -> WorkCalendar:
    return calendar.for_folder(FIXTURE_DIR)


def test_the_package_does_not_know_2027() -> None:
    """The premise of this file: if a package update brings 2027, move these tests to the first unknown year."""
    assert calendar.package_knows(2026)
    assert not calendar.package_knows(2027)


# --- no schedule: Monday to Friday, with a warning, never an exception ---------------------------------


def test_a_year_without_schedule_counts_monday_to_friday_and_warns() -> None:
    cal = no_schedule()
    assert cal.source(2027) is Source.WEEKDAYS
    # Tue 29 Dec 2026 → Wed 30 (1), Thu 31 (2), Fri 1 Jan 2027 (3): New Year's day, but nobody told us.
    revisit = aftersales.revisit_due(datetime(2026, 12, 29, 10, 0, tzinfo=SHANGHAI), RULE, cal)
    assert revisit.due_on == date(2027, 1, 1)
    assert revisit.due_at == datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI)
    assert revisit.calendar_warning is not None
    assert "2027 年" in revisit.calendar_warning and "config/workdays/2027.json" in revisit.calendar_warning
    # Weekends are skipped: Thu 31 Dec → Fri 1, Mon 4, Tue 5 Jan.
    assert cal.add_working_days(date(2026, 12, 31), 3) == date(2027, 1, 5)
    # Within a known year there is no warning.
    assert aftersales.revisit_due(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI), RULE, cal).calendar_warning is None


# --- the factory's schedule file --------------------------------------------------------------------


def test_the_factory_schedule_skips_its_holidays_and_counts_its_adjusted_weekends() -> None:
    cal = fixture_calendar()
    assert cal.source(2027) is Source.FACTORY and cal.factory.errors == {}
    assert not cal.is_working_day(date(2027, 1, 4))  # Monday inside the fixture's 1-6 January holiday
    assert cal.is_working_day(date(2027, 1, 9))  # the fixture's adjusted working Saturday
    assert not cal.is_working_day(date(2027, 1, 10))  # an ordinary Sunday
    # Thu 31 Dec 2026 → 1-6 Jan off → Thu 7 (1), Fri 8 (2), Sat 9 (3, adjusted working day).
    revisit = aftersales.revisit_due(datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI), RULE, cal)
    assert (revisit.due_on, revisit.calendar_warning) == (date(2027, 1, 9), None)
    # Spring Festival 6-12 Feb (fixture), Sunday 14 Feb works: Fri 5 Feb → Sun 14 (1), Mon 15 (2), Tue 16 (3).
    assert cal.add_working_days(date(2027, 2, 5), 3) == date(2027, 2, 16)


def test_the_factory_schedule_takes_precedence_over_the_package(tmp_path: Path) -> None:
    # A (made-up) 2026 file that knows only New Year's day: National Day is then a working week.
    (tmp_path / "2026.json").write_text(
        json.dumps({"year": 2026, "notice": "测试", "holidays": [{"name": "元旦", "date": "2026-01-01"}]}),
        encoding="utf-8",
    )
    cal = calendar.for_folder(tmp_path)
    assert cal.source(2026) is Source.FACTORY
    assert cal.is_working_day(date(2026, 10, 1))  # the package says National Day
    assert not WorkCalendar().is_working_day(date(2026, 10, 1))
    assert not cal.is_working_day(date(2026, 1, 1))


def test_a_schedule_entered_later_is_used_without_a_restart(tmp_path: Path) -> None:
    assert calendar.for_folder(tmp_path).source(2027) is Source.WEEKDAYS
    shutil.copy(FIXTURE_DIR / "2027.json", tmp_path / "2027.json")
    assert calendar.for_folder(tmp_path).source(2027) is Source.FACTORY


def test_the_committed_schedules_are_valid() -> None:
    """config/workdays/ is where the factory enters a year's official schedule; what is there must load."""
    folder = ROOT / "config" / "workdays"
    assert (folder / "README.md").is_file()
    loaded = read_folder(folder)
    assert loaded.errors == {}
    for year, schedule in loaded.years.items():
        assert schedule.year == year and schedule.holidays


def _schedule(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "year": 2027,
        "notice": "测试通知",
        "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}],
        "workdays": [{"name": "春节调休上班", "date": "2027-02-14"}],
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (
            _schedule(holidays=[{"name": "元旦", "from": "2026-12-31", "to": "2027-01-02"}]),
            "holidays[0]（元旦）",
            "日期 2026-12-31 不在 2027 年内 / date 2026-12-31 is not in 2027",
        ),
        (
            _schedule(workdays=[{"name": "元旦调休", "date": "2027-01-02"}]),
            "workdays[0]（元旦调休）",
            "2027-01-02 同时是假日",
        ),
        (
            _schedule(workdays=[{"name": "调休", "date": "2027-02-15"}]),
            "workdays[0]（调休）",
            "调休上班日 2027-02-15 是星期一，须为周六或周日 / an adjusted working day must be a Saturday or Sunday",
        ),
        (
            _schedule(holidays=[{"name": "元旦", "date": "2027-01-02"}]),
            "holidays[0]（元旦）",
            "2027-01-02 是星期六，周末本就休息；若确需录入，请用 note 说明原因",
        ),
        (_schedule(holidays=[{"name": "春节", "date": "2027-02-30"}]), "holidays[0]（春节）", "date 不是有效日期"),
        (_schedule(year=2028), "2027.json", "year 2028 与文件名的年份 2027 不符"),
        (
            _schedule(holidays=[{"name": "国庆", "from": "2027-10-07", "to": "2027-10-01"}]),
            "holidays[0]（国庆）",
            "to 2027-10-01 早于 from 2027-10-07",
        ),
        (
            _schedule(
                holidays=[
                    {"name": "国庆", "from": "2027-10-01", "to": "2027-10-07"},
                    {"name": "x", "date": "2027-10-04"},
                ]
            ),
            "holidays[1]（x）",
            "2027-10-04 已在",
        ),
        (_schedule(holidays=[{"name": "清明", "day": "2027-04-05"}]), "holidays[0]", "未知字段 ['day']"),
        (_schedule(notice=""), "2027.json", "缺少 notice"),
        (_schedule(holidays=[]), "2027.json", "holidays 为空"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_entry(data: dict[str, Any], where: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(data, where="2027.json", year=2027)
    assert caught.value.where.startswith("2027.json")
    assert where in str(caught.value) and message in str(caught.value), str(caught.value)


def test_a_weekend_holiday_with_a_reason_is_accepted() -> None:
    schedule = parse_schedule(
        _schedule(holidays=[{"name": "厂庆", "date": "2027-01-02", "note": "本厂厂庆，周六原排加班取消"}]),
        where="2027.json",
        year=2027,
    )
    assert schedule.holiday_dates == {date(2027, 1, 2)}


def test_an_invalid_file_counts_as_missing_and_its_error_is_the_warning(tmp_path: Path) -> None:
    (tmp_path / "2027.json").write_text(
        json.dumps(_schedule(workdays=[{"name": "调休", "date": "2027-02-15"}])), encoding="utf-8"
    )
    (tmp_path / "2027-draft.json").write_text("{", encoding="utf-8")
    cal = calendar.for_folder(tmp_path)
    assert cal.source(2027) is Source.WEEKDAYS
    assert set(cal.factory.errors) == {"2027.json", "2027-draft.json"}
    warning = cal.warning(date(2026, 12, 30), date(2027, 1, 4))
    assert warning is not None and "workdays[0]（调休）" in warning
    warnings = report_warnings(cal, date(2026, 11, 1))
    assert any("workdays[0]（调休）" in w for w in warnings)
    assert any("2027-draft.json" in w and "<year>.json" in w for w in warnings)


# --- the reports warn -------------------------------------------------------------------------------


def test_from_november_the_reports_warn_that_next_years_schedule_is_missing() -> None:
    cal = no_schedule()
    assert report_warnings(cal, date(2026, 10, 31)) == []
    (warning,) = report_warnings(cal, date(2026, 11, 1))
    assert "2027 年" in warning and "config/workdays/2027.json" in warning
    assert report_warnings(fixture_calendar(), date(2026, 11, 1)) == []
    (this_year,) = report_warnings(cal, date(2027, 3, 1))  # in a year without schedule, always
    assert "2027 年" in this_year


def test_the_after_sales_and_order_reports_carry_the_calendar_warnings(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        assert not [
            w for w in aftersales.report(s, no_schedule(), date(2026, 10, 15)).calendar_warnings if "2027 年的" in w
        ]
        november = aftersales.report(s, no_schedule(), date(2026, 11, 2)).calendar_warnings
        assert any("2027 年" in w and "config/workdays/2027.json" in w for w in november)
        assert not [
            w
            for w in aftersales.report(s, fixture_calendar(), date(2026, 11, 2)).calendar_warnings
            if "工作日历缺少" in w
        ]
        kpis = order_kpis(s, start=None, end=None, salesperson=None, cal=no_schedule(), today=date(2026, 11, 2))
        assert any("2027 年" in w for w in kpis.calendar_warnings)
        kpis = order_kpis(s, start=None, end=None, salesperson=None, cal=no_schedule(), today=date(2026, 10, 2))
        assert not [w for w in kpis.calendar_warnings if "工作日历缺少" in w]


def test_a_ticket_resolved_without_schedule_shows_the_warning_on_the_ticket_and_in_the_report(
    sessions: sessionmaker[Session], api: TestClient
) -> None:
    """The service the resolve worker calls, then the API: no exception, a weekday revisit, the warning."""
    with unit_of_work(sessions) as s:
        ticket = ServiceTicket(
            ticket_number=f"TK-CAL-{uuid.uuid4().hex[:8]}",
            customer_name="日历测试客户",
            product_model="GF-960 防盗门",
            problem_type=ProblemType.LOCK_HARDWARE,
            problem_description="锁芯卡滞",
            channel=Channel.HOTLINE,
            severity=Severity.HIGH,
            urgency=Urgency.HIGH,
            status=TicketStatus.AWAITING_CONFIRMATION,
            opened_at=datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI),
        )
        s.add(ticket)
        s.flush()
        out = aftersales.resolve(
            s, ticket.id, datetime(2026, 12, 29, 10, 0, tzinfo=SHANGHAI), RULE, no_schedule(), actor="test"
        )
        number = ticket.ticket_number
    assert out["revisitDueOn"] == date(2027, 1, 1)
    body = api.get(f"/tickets/{number}").json()
    assert body["status"] == "resolved" and body["revisit_due_on"] == "2027-01-01"
    assert "2027 年" in body["calendar_warning"]
    assert "2027 年" in body["events"][-1]["note"]
    report = api.get("/reports/after-sales").json()
    assert any(number in w and "周一至周五" in w for w in report["calendar_warnings"]), report["calendar_warnings"]


def test_the_calendar_route_shows_a_year_and_its_source(api: TestClient) -> None:
    body = api.get("/calendar/2026").json()
    assert body["source"] == "package" and body["warning"] is None
    assert {"day": "2026-10-01", "name": "国庆节"} in body["holidays"]
    assert {"day": "2026-10-10", "name": "国庆节"} in body["workdays"]
    body = api.get("/calendar/2099").json()
    assert body["source"] == "weekdays" and "2099 年" in body["warning"]
    assert api.get("/calendar/99999999999999999999").status_code == 422


# --- production plans on working days -----------------------------------------------------------------


SELLER = f"日历测试-{uuid.uuid4().hex[:6]}"  # the order report of this file's orders only


def _order(sessions: sessionmaker[Session], delivery: date) -> int:
    """An order (no process) whose promised date is ``delivery`` (set after the intake's future-date check)."""
    with unit_of_work(sessions) as s:
        order = create_order(
            s,
            OrderIn.model_validate(order_payload(customer_name="排程日历测试有限公司", salesperson=SELLER)),
            lambda _variables: f"no-engine-{uuid.uuid4()}",
            limits=OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500),
            today=factory_day(),
            actor="test",
        )
        order.requested_delivery_date = delivery
        return order.id


def _cfg(cal: WorkCalendar) -> production.PlanConfig:
    return production.PlanConfig(
        due_buffer_days=5,
        due_time=time(18, 0),
        timezone="Asia/Shanghai",
        stages=[production.StagePlan("下料", "张工", 2), production.StagePlan("装配", "李工", 3)],
        calendar=cal,
    )


def _stages(sessions: sessionmaker[Session], plan_id: int) -> tuple[list[tuple[str, date, date]], str | None]:
    with sessions() as s:
        plan = s.scalars(select(ProductionPlan).where(ProductionPlan.id == plan_id)).one()
        return [(st.name, st.planned_start, st.milestone) for st in plan.stages], plan.calendar_warning


def test_production_stages_skip_weekends(sessions: sessionmaker[Session]) -> None:
    # Delivery Tue 2099-06-30 minus 5 days = Thu 25 June: 装配 Tue 23-Thu 25, 下料 Fri 19-Mon 22 (not the weekend).
    order_id = _order(sessions, date(2099, 6, 30))
    with unit_of_work(sessions) as s:
        plan_id = production.create_plan(s, order_id, _cfg(no_schedule()), actor="test")["planId"]
    stages, warning = _stages(sessions, plan_id)
    assert stages == [("下料", date(2099, 6, 19), date(2099, 6, 22)), ("装配", date(2099, 6, 23), date(2099, 6, 25))]
    assert warning is not None and "2099 年" in warning


def test_production_stages_skip_holidays_and_use_adjusted_weekends(sessions: sessionmaker[Session]) -> None:
    # Delivery Sat 2027-01-16 minus 5 days = Mon 11 Jan. Fixture schedule: 1-6 Jan off, Saturday 9 Jan works.
    # 装配 (3): Fri 8, Sat 9, Mon 11; 下料 (2): Thu 7, then back over the holiday to Thu 31 Dec 2026.
    order_id = _order(sessions, date(2027, 1, 16))
    with unit_of_work(sessions) as s:
        out = production.create_plan(s, order_id, _cfg(fixture_calendar()), actor="test")
    assert out["productionDueDate"] == "2027-01-11"
    stages, warning = _stages(sessions, out["planId"])
    assert stages == [("下料", date(2026, 12, 31), date(2027, 1, 7)), ("装配", date(2027, 1, 8), date(2027, 1, 11))]
    assert warning is None
    with unit_of_work(sessions) as s:
        number = s.get(Order, order_id).order_number  # type: ignore[union-attr]
        kpis = order_kpis(s, start=None, end=None, salesperson=SELLER, cal=no_schedule(), today=date(2026, 12, 2))
    assert not [w for w in kpis.calendar_warnings if number in w]


def test_a_due_date_on_a_weekend_ends_the_last_stage_on_the_friday_before(sessions: sessionmaker[Session]) -> None:
    # Delivery Fri 2099-06-26 minus 5 days = Sun 21 June: 装配 ends Fri 19 June.
    order_id = _order(sessions, date(2099, 6, 26))
    with unit_of_work(sessions) as s:
        out = production.create_plan(s, order_id, _cfg(no_schedule()), actor="test")
        number = s.get(Order, order_id).order_number  # type: ignore[union-attr]
    assert out["productionDueDate"] == "2099-06-21"
    stages, _ = _stages(sessions, out["planId"])
    assert stages == [("下料", date(2099, 6, 15), date(2099, 6, 16)), ("装配", date(2099, 6, 17), date(2099, 6, 19))]
    with unit_of_work(sessions) as s:
        kpis = order_kpis(s, start=None, end=None, salesperson=SELLER, cal=no_schedule(), today=date(2026, 12, 2))
    assert any("生产计划" in w and number in w for w in kpis.calendar_warnings), kpis.calendar_warnings
