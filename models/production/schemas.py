"""Input and output shapes of the production domain (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from models.production.tables import DelayCause, InspectionKind, PlanStatus, PurchaseStatus, StageStatus
from models.types import DecimalString, Line, Text


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    quantity: DecimalString = Field(
        gt=0, max_digits=12, decimal_places=2, description='Quantity delivered, a decimal string like "12.50".'
    )
    delivery_note: Line | None = Field(default=None, max_length=80, description="Supplier's delivery note number.")
    received_by: Line = Field(min_length=1, max_length=120, description="Warehouse clerk who received the goods.")


class ReceiptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    purchase_order_number: str
    quantity: DecimalString
    delivery_note: str | None
    received_by: str
    received_at: datetime
    purchase_order_status: PurchaseStatus = Field(
        description="received once everything ordered has arrived; partially_received while the rest is awaited."
    )
    received_quantity: DecimalString = Field(
        description="Received so far on the purchase order, this receipt included."
    )
    outstanding_quantity: DecimalString = Field(description="Still to come; the production process waits for it.")


class PurchaseOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    order_id: int
    material_code: str
    material_name: str
    supplier_name: str
    quantity: DecimalString
    received_quantity: DecimalString
    outstanding_quantity: DecimalString
    status: PurchaseStatus
    replaces_id: int | None


class DelayIn(BaseModel):
    """A delay as the production department reports it (form fields of the delay user task)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    cause: DelayCause = Field(description="Force majeure or internal.")
    cause_detail: Text = Field(min_length=1, max_length=2000)
    remedy: Text = Field(min_length=1, max_length=2000)
    new_due_date: date
    responsibility: Line = Field(min_length=1, max_length=200)


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    name: str
    owner: str
    planned_start: date
    milestone: date = Field(description="Planned finish of the stage.")
    status: StageStatus
    progress_percent: int
    completed_at: datetime | None


class InspectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: InspectionKind
    purchase_order_id: int | None
    round: int
    passed: bool
    cause: str | None
    rework_note: str | None
    inspected_at: datetime


class DelayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    cause: DelayCause
    cause_detail: str
    remedy: str
    old_due_date: date
    new_due_date: date
    responsibility: str
    customer_informed: bool
    notice_document_id: int | None
    created_at: datetime


class ProductionOut(BaseModel):
    """The order's current production plan with its stages, inspections and delays."""

    plan_id: int
    version: int
    status: PlanStatus
    craft_document: str = Field(description="Code and version of the craft documents the plan follows.")
    due_date: date
    review_comments: str | None
    calendar_warning: str | None = Field(
        default=None,
        description="Set when stage dates were counted Monday to Friday because a year's official holiday "
        "schedule is missing (enter it in config/workdays/<year>.json).",
    )
    stages: list[StageOut]
    inspections: list[InspectionOut]
    delays: list[DelayOut]
