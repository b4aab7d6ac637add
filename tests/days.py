"""The factory's day for tests.

A test hands the product the same "today" its edges use: the calendar day in the factory's time zone
(``factory_timezone``), never the host's ``date.today()``. Between 16:00 and 24:00 UTC the two differ,
and a test that mixed them failed only at those hours (an order numbered by one day, paid on the other).
"""

from __future__ import annotations

from datetime import date

from doorflow.settings import get_settings
from models.clock import factory_today


def factory_day() -> date:
    """Today in the factory (the same function the API's edges and the workers call)."""
    return factory_today(get_settings().factory_timezone)
