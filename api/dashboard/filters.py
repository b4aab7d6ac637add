"""The dashboard's filters (period, salesperson, department), parsed once and turned into the services' scopes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query

from api.deps import FactoryTodayDep, SettingsDep
from doorflow.settings import Settings
from models.aftersales.service import Targets, TicketScope
from models.collection.service import CollectionScope
from models.errors import InvalidInput
from models.types import Line


@dataclass(frozen=True)
class Filters:
    """Period ``start``..``end`` (inclusive, factory dates), one salesperson, one department (its salespeople from
    the setting ``sales_departments``). Unset parts do not filter."""

    start: date | None = None
    end: date | None = None
    salesperson: str | None = None
    department: str | None = None
    salespeople: frozenset[str] | None = None  # the department's, resolved from the settings

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links, exports and the page's own state)."""
        pairs = {"start": self.start, "end": self.end, "salesperson": self.salesperson, "department": self.department}
        return {k: str(v) for k, v in pairs.items() if v is not None}

    def url(self, path: str, **params: object) -> str:
        """``path`` with these filters and ``params`` (a param named like a filter overrides it; None drops it)."""
        values: dict[str, object] = {**self.query(), **params}
        return f"{path}?{urlencode({k: v for k, v in values.items() if v is not None})}"

    def with_period(self, start: date, end: date) -> Filters:
        return replace(self, start=start, end=end)

    def tickets(self) -> TicketScope:
        return TicketScope(self.start, self.end, self.salesperson, self.salespeople)

    def collection(self) -> CollectionScope:
        return CollectionScope(self.start, self.salesperson, self.salespeople)

    def as_of(self, today: date) -> date:
        """The collection report's day: the period's end, never after today."""
        return min(self.end, today) if self.end else today


def department_people(settings: Settings, department: str | None) -> frozenset[str] | None:
    if department is None:
        return None
    people = settings.sales_departments.get(department)
    if people is None:
        raise InvalidInput(
            ("query", "department"), f"unknown department; known: {'、'.join(settings.sales_departments)}"
        )
    return frozenset(people)


def get_filters(
    settings: SettingsDep,
    start: Annotated[date | None, Query(description="Period start (inclusive, factory date).")] = None,
    end: Annotated[date | None, Query(description="Period end (inclusive).")] = None,
    salesperson: Annotated[Line | None, Query(description="Only this salesperson's orders.")] = None,
    department: Annotated[Line | None, Query(description="Only the orders of this sales department's people.")] = None,
) -> Filters:
    if start and end and start > end:
        raise InvalidInput(("query", "start"), "must not be after end")
    return Filters(start, end, salesperson or None, department or None, department_people(settings, department))


FiltersDep = Annotated[Filters, Depends(get_filters)]


def targets(settings: Settings) -> Targets:
    return Targets(settings.aftersales_resolution_target_hours, settings.aftersales_positive_score)


__all__ = ["FactoryTodayDep", "Filters", "FiltersDep", "department_people", "get_filters", "targets"]
