"""The working-day calendar as the processes use it: one year's holidays, adjusted working days and source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import SettingsDep
from models import calendar

router = APIRouter(tags=["calendar"])


@router.get(
    "/calendar/{year}",
    summary="One year of the working-day calendar: holidays, adjusted working weekends, where they come from",
    description="The factory's schedule file config/workdays/<year>.json takes precedence over the "
    "chinese-calendar package; a year in neither counts Monday to Friday and says so in `warning`.",
)
def calendar_year(year: Annotated[int, Path(ge=2000, le=2200)], settings: SettingsDep) -> calendar.CalendarYearOut:
    return calendar.describe_year(calendar.for_folder(settings.workdays_dir), year)
