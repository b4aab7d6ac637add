"""The order KPI report as the API returns it; rates are fractions (0 to 1) with four decimals, or null."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.types import DecimalString


class SalespersonKpis(BaseModel):
    salesperson: str
    orders: int
    completed: int
    on_time_delivery_rate: DecimalString | None


class MonthKpis(BaseModel):
    month: str = Field(description="YYYY-MM of the order's receipt.")
    orders: int
    completed: int
    delays: int = Field(default=0, description="Production delays of these orders.")
    delay_days: int = Field(default=0, description="Days those delays moved the due dates, in total.")


class OrderKpis(BaseModel):
    start: date | None
    end: date | None
    salesperson: str | None
    orders: int = Field(description="Orders received in the period.")
    completed: int
    rejected: int
    completion_rate: DecimalString | None = Field(description="Completed ÷ received.")
    delivered: int
    on_time_delivery_rate: DecimalString | None = Field(
        description="Delivered on or before the promised date ÷ delivered."
    )
    delays: int = Field(description="Production delays reported.")
    total_delay_days: int
    first_pass_inspection_rate: DecimalString | None = Field(description="Final inspections passed at the first round.")
    installation_first_pass_acceptance_rate: DecimalString | None = Field(
        description="Customer acceptances passed at the first round."
    )
    by_salesperson: list[SalespersonKpis]
    by_month: list[MonthKpis]
    calendar_warnings: list[str] = Field(
        default_factory=list,
        description="The working-day calendar's warnings: a year's official schedule missing (this year; from "
        "November on next year too), invalid schedule files, open production plans counted Monday to Friday.",
    )
    on_time_count: int = Field(default=0, description="Delivered on or before the promised date.")
    inspected_count: int = Field(default=0, description="Orders with a first final inspection.")
    inspection_first_pass_count: int = Field(default=0, description="First final inspections passed.")
    acceptance_checked_count: int = Field(default=0, description="Orders with a first customer acceptance.")
    acceptance_first_pass_count: int = Field(default=0, description="First customer acceptances passed.")
