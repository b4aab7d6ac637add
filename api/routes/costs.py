"""Cost budget vs actual: an order's cost sheet and the cost report for the managers' dashboard."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from api.deps import SessionDep
from models.costs import service
from models.costs.schemas import CostReport, OrderCost
from models.types import Id, Line

router = APIRouter(tags=["costs"])


@router.get(
    "/orders/{order_id}/cost",
    summary="An order's cost budget (every version, with its inputs), its accruals, actual cost, variance and flag",
    responses={404: {"description": "No such order."}},
)
def order_cost(order_id: Id, session: SessionDep) -> OrderCost:
    return service.order_cost(session, order_id)


@router.get(
    "/reports/costs",
    summary="Budget vs actual of the orders received in a period: variance and over-budget flag per order",
    responses={422: {"description": "A bad date range; the detail names the field."}},
)
def cost_report(
    session: SessionDep,
    start: date | None = None,
    end: date | None = None,
    salesperson: Line | None = None,
    over_budget: bool | None = None,
) -> CostReport:
    return service.report(session, start=start, end=end, salesperson=salesperson, over_budget=over_budget)
