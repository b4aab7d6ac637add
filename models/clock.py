"""The factory's day: every "today" of the business is a calendar day in the factory's time zone.

The host may run in UTC while the factory works in Asia/Shanghai: between 16:00 and 24:00 UTC the
two disagree on the date. Edges (routes, workers, the simulated staff) ask ``factory_today`` with
the ``factory_timezone`` setting and hand the day to the services; tests move ``now``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from doorflow.settings import get_settings


def now() -> datetime:
    """The current instant (aware, UTC): the one clock source of the business day."""
    return datetime.now(UTC)


def factory_today(zone: str | tzinfo) -> date:
    """Today's date in the factory's time zone (an IANA name such as "Asia/Shanghai", or a tzinfo)."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return now().astimezone(tz).date()


def factory_day_of(moment: ColumnElement[datetime] | InstrumentedAttribute[datetime]) -> ColumnElement[date]:
    """The factory's calendar day of a stored instant, in SQL.

    ``CAST(ts AS date)`` takes the database session's time zone (UTC here), so a period filter counted
    the UTC day: an order received at 03:00 factory time fell on the day before. A period a person
    picks is in factory days, like every date they see.
    """
    return cast(func.timezone(get_settings().factory_timezone, moment), Date)
