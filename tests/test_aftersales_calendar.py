"""The revisit date on China's official calendar (chinese-calendar), and engine date-time parsing.

A year without any schedule (the factory's files or the package) is in tests/test_workdays.py.
"""

from __future__ import annotations

import importlib.metadata
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from models.aftersales.service import RevisitRule, parse_engine_time, revisit_due
from models.calendar import WorkCalendar
from models.errors import InvalidInput

RULE = RevisitRule(working_days=3, zone=ZoneInfo("Asia/Shanghai"), time_of_day=time(9, 0))
workdays = WorkCalendar()  # the package's years only: no factory schedule files


def test_the_calendar_package_knows_2026() -> None:
    version = tuple(int(p) for p in importlib.metadata.version("chinese-calendar").split(".")[:2])
    assert version >= (1, 11)
    # The State Council's 2026 schedule: National Day 1-7 October, Sunday 20 September and
    # Saturday 10 October are working days (调休).
    assert [workdays.is_working_day(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert workdays.is_working_day(date(2026, 9, 20)) and date(2026, 9, 20).weekday() == 6
    assert workdays.is_working_day(date(2026, 10, 10)) and date(2026, 10, 10).weekday() == 5
    assert not workdays.is_working_day(date(2026, 10, 11))


def test_three_working_days_after_30_september_2026_is_the_adjusted_saturday() -> None:
    # 30 Sep (Wed) resolved; 1-7 Oct holiday; 8 Oct (Thu) = 1, 9 Oct (Fri) = 2, 10 Oct (Sat, 调休) = 3.
    assert workdays.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 20), 3, date(2026, 11, 25)),  # Fri → Mon, Tue, Wed
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Fri → the adjusted working Sunday
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # Thu → Mid-Autumn 25-27 Sep → Mon
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # inside the holiday → first day back
        (date(2026, 10, 10), 1, date(2026, 10, 12)),  # the adjusted Saturday → Monday
    ],
)
def test_working_days_skip_holidays_and_count_adjusted_weekends(start: date, days: int, expected: date) -> None:
    assert workdays.add_working_days(start, days) == expected


def test_zero_working_days_is_refused() -> None:
    with pytest.raises(ValueError):
        workdays.add_working_days(date(2026, 11, 20), 0)


def test_the_resolution_date_is_the_factory_zone_date() -> None:
    # 2026-10-09T17:00Z is 10 October 01:00 in Beijing: counting starts after the 10th.
    revisit = revisit_due(datetime(2026, 10, 9, 17, 0, tzinfo=UTC), RULE, workdays)
    assert revisit.due_on == date(2026, 10, 14)
    assert revisit.due_at == datetime(2026, 10, 14, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert revisit.calendar_warning is None
    revisit = revisit_due(datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), RULE, workdays)
    assert (revisit.due_on, revisit.due_at.isoformat()) == (date(2026, 10, 10), "2026-10-10T09:00:00+08:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Operaton Date variables as the worker runtime hands them over, and as the REST API writes them
        ("2026-09-30T02:00:00.000+00:00", datetime(2026, 9, 30, 2, 0, tzinfo=UTC)),
        ("2026-09-30T10:00:00.000+0800", datetime(2026, 9, 30, 2, 0, tzinfo=UTC)),
        ("2026-09-30T02:00:00.123Z", datetime(2026, 9, 30, 2, 0, 0, 123000, tzinfo=UTC)),
        ("2026-09-30T10:00:00+08:00[Asia/Shanghai]", datetime(2026, 9, 30, 2, 0, tzinfo=UTC)),
        ("2026-09-30T02:00:00@UTC", None),  # a zone name without an offset is refused
        ("2026-09-30T02:00:00.000", None),  # no offset: refused, never read in the worker's zone
        ("2026-09-30T02:00:00Z[Etc/UTC]", datetime(2026, 9, 30, 2, 0, tzinfo=UTC)),
        ("2026-09-30T10:00:00+08:00", datetime(2026, 9, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))),
    ],
)
def test_engine_date_times_are_parsed_with_their_offset(text: str, expected: datetime | None) -> None:
    if expected is None:
        with pytest.raises(InvalidInput):
            parse_engine_time(text, "engineNow")
    else:
        assert parse_engine_time(text, "engineNow") == expected


def test_missing_engine_time_is_refused() -> None:
    with pytest.raises(InvalidInput, match="engineNow"):
        parse_engine_time(None, "engineNow")
