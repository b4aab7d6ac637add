"""Happy-path answers of simulated staff, one module per domain (see ``doorflow.staff``)."""

from __future__ import annotations

from datetime import date

from doorflow.settings import get_settings
from models.clock import factory_today


def today() -> date:
    """The factory's day (setting ``factory_timezone``): people in the factory date their answers by it."""
    return factory_today(get_settings().factory_timezone)
