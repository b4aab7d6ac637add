"""KPI reports for managers: the order report (collection and after-sales reports live with their domains)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from api.auth import CallerDep
from api.dashboard.filters import department_people, targets
from api.deps import FactoryTodayDep, SessionDep, SettingsDep
from api.idempotency import IDEMPOTENT, IdempotentRoute
from models import calendar
from models.aftersales import service as aftersales
from models.aftersales.schemas import AfterSalesQuarterly
from models.documents.schemas import DocumentOut
from models.reports import service
from models.reports.schemas import OrderKpis
from models.types import Int32, Line

router = APIRouter(prefix="/reports", tags=["reports"], route_class=IdempotentRoute)


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
    department: Annotated[Line | None, Query(description="Only orders of this sales department's people.")] = None,
) -> OrderKpis:
    return service.order_kpis(
        session,
        start=start,
        end=end,
        salesperson=salesperson,
        salespeople=department_people(settings, department),
        cal=calendar.for_folder(settings.workdays_dir),
        today=datetime.now(ZoneInfo(settings.factory_timezone)).date(),  # the factory's date, not the host's
    )


Year = Annotated[Int32, Query(ge=2000, le=9998, description="The calendar year.")]
Quarter = Annotated[Int32, Query(ge=1, le=4, description="The quarter, 1 to 4.")]


@router.get(
    "/after-sales/quarterly",
    summary="Quarterly after-sales statistics for the technical department: by problem type, product model, cause",
)
def after_sales_quarterly(
    session: SessionDep,
    settings: SettingsDep,
    year: Year,
    quarter: Quarter,
    salesperson: Line | None = None,
    department: Annotated[Line | None, Query(description="Only tickets of this sales department's orders.")] = None,
) -> AfterSalesQuarterly:
    return aftersales.quarterly_report(
        session,
        year,
        quarter,
        targets(settings),
        salesperson=salesperson,
        salespeople=department_people(settings, department),
    )


@router.post(
    "/after-sales/quarterly/document",
    dependencies=[IDEMPOTENT],
    status_code=201,
    summary="Render the quarterly after-sales statistics as a document (new version; read at /documents/{id}/content)",
)
def after_sales_quarterly_document(
    session: SessionDep,
    settings: SettingsDep,
    today: FactoryTodayDep,
    caller: CallerDep,
    year: Year,
    quarter: Quarter,
) -> DocumentOut:
    doc = aftersales.quarterly_document(
        session, year, quarter, targets(settings), actor=caller.actor, generated_on=today
    )
    return DocumentOut.model_validate(doc)
