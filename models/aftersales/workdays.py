"""China's official working-day calendar (public holidays and the weekend days made working days, 调休).

The State Council publishes each year's schedule late in the year before; the PyPI package
``chinese-calendar`` carries it. A date outside the package's years is refused rather than guessed,
because a Monday-to-Friday guess would be wrong exactly around the holidays that matter.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


class CalendarUnknown(Exception):
    """The calendar package has no schedule for that year yet: upgrade ``chinese-calendar``."""


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise CalendarUnknown(f"chinese-calendar has no official schedule for {day.year}: {exc}") from exc


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    left = days
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
