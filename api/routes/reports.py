"""KPI reports for managers: the order report (collection and after-sales reports live with their domains)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from api.deps import SessionDep, SettingsDep
from models import calendar
from models.reports import service
from models.reports.schemas import OrderKpis
from models.types import Line

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/orders",
    summary="Order KPIs: completion, on-time delivery, delays, first-pass inspection and acceptance rates",
    responses={422: {"description": "A bad date range; the detail names the field."}},
)
def order_report(
    session: SessionDep,
    settings: SettingsDep,
    start: date | None = None,
    end: date | None = None,
    salesperson: Line | None = None,
) -> OrderKpis:
    return service.order_kpis(
        session,
        start=start,
        end=end,
        salesperson=salesperson,
        cal=calendar.for_folder(settings.workdays_dir),
        today=datetime.now(ZoneInfo(settings.factory_timezone)).date(),  # the factory's date, not the host's
    )
