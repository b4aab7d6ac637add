"""Input and output shapes of change requests (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.changes.tables import ChangeChannel, ChangeStatus, Department, QualityImpact
from models.orders.tables import DoorType, Handing
from models.types import DecimalString, Int32, Line, Text

# The door-line fields a change may set; line_no only says which line.
LINE_FIELDS = (
    "door_type",
    "width_mm",
    "height_mm",
    "wall_thickness_mm",
    "material",
    "finish",
    "handing",
    "lock_hardware",
    "quantity",
    "unit_price",
)


class LineChangeIn(BaseModel):
    """New values for one existing door line; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line_no: Int32 = Field(gt=0, description="Number of the order's door line to change (1, 2, …).")
    door_type: DoorType | None = Field(default=None, description="New kind of door.")
    width_mm: Int32 | None = Field(default=None, gt=0, description="New opening width in millimetres.")
    height_mm: Int32 | None = Field(default=None, gt=0, description="New opening height in millimetres.")
    wall_thickness_mm: Int32 | None = Field(default=None, gt=0, description="New wall thickness in millimetres.")
    material: Line | None = Field(default=None, min_length=1, max_length=120, description="New material.")
    finish: Line | None = Field(default=None, min_length=1, max_length=120, description="New finish or colour.")
    handing: Handing | None = Field(default=None, description="New opening direction.")
    lock_hardware: Line | None = Field(default=None, min_length=1, max_length=200, description="New lock and hardware.")
    quantity: Int32 | None = Field(default=None, gt=0, description="New number of doors.")
    unit_price: DecimalString | None = Field(
        default=None, ge=0, max_digits=12, decimal_places=2, description='New price per door in CNY, like "2380.00".'
    )

    @model_validator(mode="after")
    def changes_something(self) -> LineChangeIn:
        if not self.changed_fields():
            raise ValueError(f"names no field to change; give at least one of {', '.join(LINE_FIELDS)}")
        return self

    def changed_fields(self) -> dict[str, Any]:
        """The fields this change sets, as JSON-safe values (enums as their value, money as a string)."""
        values = self.model_dump(mode="json", include=set(LINE_FIELDS), exclude_none=True)
        return values


class ChangeRequestIn(BaseModel):
    """The customer's request to change a running order."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: Text = Field(min_length=1, max_length=4000, description="What the customer wants changed, in words.")
    requested_by: Line = Field(min_length=1, max_length=120, description="Who asked (customer contact).")
    channel: ChangeChannel = Field(default=ChangeChannel.API, description="How the request came in.")
    line_changes: list[LineChangeIn] = Field(
        default_factory=list, max_length=200, description="New values for existing door lines."
    )
    new_delivery_date: date | None = Field(default=None, description="The delivery date the customer now wants.")
    price_delta: DecimalString | None = Field(
        default=None,
        max_digits=12,
        decimal_places=2,
        description=(
            'Price change agreed with the customer in CNY, a decimal string like "-150.00" (positive: the customer '
            "pays more), on top of the re-priced door lines. Applied, it amends the contract and re-plans the unpaid "
            "installments."
        ),
    )


class ChangeReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    department: Department
    approved: bool
    comment: str
    reviewed_at: datetime


class ChangeRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    request_no: int
    change_number: str
    description: str
    line_changes: list[dict[str, Any]]
    new_delivery_date: date | None
    price_delta: DecimalString | None
    requested_by: str
    channel: ChangeChannel
    status: ChangeStatus
    schedule_impact_days: int | None
    quality_impact: QualityImpact | None
    cost_delta: DecimalString | None
    assessment_note: str | None
    major: bool | None
    impact_reason: str | None
    assessed_at: datetime | None
    reviews: list[ChangeReviewOut]
    customer_approved: bool | None
    customer_note: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    applied_at: datetime | None
    applied_revision: int | None
    money_delta: DecimalString | None = Field(
        description="Money effect counted when applied: re-priced lines at the agreed discount plus price_delta."
    )
    contract_total_before: DecimalString | None
    contract_total_after: DecimalString | None
    contract_version: int | None = Field(description="The contract version (amendment) the change produced.")
    credit_due: DecimalString | None = Field(
        description="Paid beyond the new contract total: to refund to the customer."
    )
    extra_due: DecimalString | None = Field(
        description="An increase no open installment could take: to collect separately."
    )
    created_at: datetime
