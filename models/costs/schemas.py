"""Output shapes of the cost domain (pydantic): the order's cost sheet and the cost report for the dashboard.

Amounts are decimal strings (CNY); shares are fractions (0.1 = 10 %) with four decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from models.costs.tables import AccrualKind
from models.types import DecimalString

KIND_LABELS: dict[AccrualKind, str] = {
    AccrualKind.STOCK_ISSUE: "库存领料",
    AccrualKind.GOODS_RECEIPT: "采购到货",
    AccrualKind.GOODS_RETURN: "退货冲减",
    AccrualKind.STAGE_WORK: "工序人工",
    AccrualKind.REWORK: "返工",
    AccrualKind.REPLACEMENT: "更换货物",
}


class BudgetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    source: str = Field(description='What it was made from: "contract:<number> v<version>" or "change:<id>".')
    materials: DecimalString = Field(description="Bill of materials × the price list.")
    labour: DecimalString = Field(description="Stage plan (working days × doors) × the labour rate.")
    overhead: DecimalString = Field(description="(Materials + labour) × the overhead rate.")
    adjustments: DecimalString = Field(description="Assessed costs of applied changes.")
    total: DecimalString
    inputs: dict[str, Any] = Field(description="Prices, quantities, days, doors and rates the budget was made with.")
    created_by: str
    created_at: datetime


class AccrualOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: AccrualKind
    source_ref: str
    amount: DecimalString = Field(description="Negative for a credit (returned goods).")
    description: str
    basis: dict[str, Any]
    recorded_by: str
    recorded_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


class CostKindTotal(BaseModel):
    kind: AccrualKind
    label: str = Field(description="Chinese label for charts.")
    amount: DecimalString


class OrderCost(BaseModel):
    order_id: int
    order_number: str
    budget: BudgetOut | None = Field(description="The latest budget version; null before the contract is signed.")
    budget_versions: list[BudgetOut]
    accruals: list[AccrualOut]
    actual_by_kind: list[CostKindTotal]
    actual_direct: DecimalString = Field(description="Sum of the accruals.")
    actual_overhead: DecimalString = Field(description="Actual direct cost × the budget's overhead rate.")
    actual_total: DecimalString
    variance: DecimalString | None = Field(description="Actual total minus budget total (positive: over budget).")
    variance_share: DecimalString | None = Field(description="Variance ÷ budget total.")
    overrun_share: DecimalString = Field(description="The tolerated share above the budget.")
    over_budget: bool = Field(description="Flagged: actual total above budget × (1 + overrun share).")
    overrun_note: str | None
    unpriced_materials: list[str] = Field(description="Materials costed at 0 for want of a price in the price list.")


class CostReportRow(BaseModel):
    order_id: int
    order_number: str
    customer_name: str
    salesperson: str | None
    status: str
    budget_version: int
    budget_total: DecimalString
    actual_total: DecimalString
    variance: DecimalString
    variance_share: DecimalString | None
    over_budget: bool


class CostReport(BaseModel):
    start: date | None
    end: date | None
    salesperson: str | None
    orders: int = Field(description="Orders received in the period that have a budget.")
    over_budget: int = Field(description="Of them, flagged over budget.")
    budget_total: DecimalString
    actual_total: DecimalString
    variance: DecimalString
    actual_by_kind: list[CostKindTotal]
    rows: list[CostReportRow]
