"""Input and output shapes of the orders domain (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.orders.tables import DoorType, Handing, OrderStatus
from models.types import DecimalString, Int32, Line, Text


class DoorLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    door_type: DoorType = Field(description="Kind of door.")
    width_mm: Int32 = Field(gt=0, description="Opening width in millimetres.")
    height_mm: Int32 = Field(gt=0, description="Opening height in millimetres.")
    wall_thickness_mm: Int32 | None = Field(default=None, gt=0, description="Wall thickness in millimetres.")
    material: Line | None = Field(default=None, max_length=120)
    finish: Line | None = Field(default=None, max_length=120, description="Finish or colour.")
    handing: Handing = Field(description="Opening direction.")
    lock_hardware: Line | None = Field(default=None, max_length=200, description="Lock and hardware.")
    quantity: Int32 = Field(gt=0, description="Number of doors.")
    unit_price: DecimalString = Field(
        ge=0, max_digits=12, decimal_places=2, description='Price per door in CNY, a decimal string like "2380.00".'
    )


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_name: Line = Field(min_length=1, max_length=200)
    customer_phone: Line | None = Field(default=None, max_length=40)
    customer_email: Line | None = Field(
        default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="Where settlement notices go."
    )
    delivery_address: Line = Field(min_length=1, max_length=500)
    requested_delivery_date: date
    requested_discount_percent: DecimalString | None = Field(
        default=None,
        ge=0,
        lt=100,
        max_digits=5,
        decimal_places=2,
        description='Discount the customer asks for, percent, a decimal string like "5.00".',
    )
    salesperson: Line | None = Field(default=None, max_length=120)
    notes: Text | None = Field(default=None, max_length=4000)
    lines: list[DoorLineIn] = Field(min_length=1, description="At least one door line.")


class DoorLineOut(DoorLineIn):
    model_config = ConfigDict(from_attributes=True)

    line_no: int


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_number: str
    customer_name: str
    customer_phone: str | None = Field(description="Null for callers whose role does not see the contact.")
    customer_email: str | None = Field(description="Null for callers whose role does not see the contact.")
    delivery_address: str | None = Field(description="Null for callers whose role does not see the contact.")
    requested_delivery_date: date
    agreed_delivery_date: date | None
    requested_discount_percent: DecimalString | None
    salesperson: str | None
    notes: str | None
    status: OrderStatus
    process_instance_id: str | None
    total_amount: DecimalString
    price_adjustment: DecimalString = Field(
        description="Money effect of the applied changes since the price was agreed (the contract adds it)."
    )
    created_at: datetime
    lines: list[DoorLineOut]
    status_before_hold: OrderStatus | None = Field(default=None, description="On hold: the status it resumes to.")
    hold_reason: str | None = Field(default=None, description="On hold: why (the sales manager's reason).")
    cancel_reason: str | None = Field(default=None, description="Cancelled: why.")
    refund_due: DecimalString | None = Field(
        default=None, description="Cancelled: what the customer had paid and is owed back (refund or credit)."
    )


class ShipmentDeliveredIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    delivered_on: date = Field(description="Day the goods arrived at the delivery address.")
    received_by: Line = Field(min_length=1, max_length=120, description="Who signed for the goods at the site.")
    tracking_number: Line = Field(
        min_length=1, max_length=80, description="Tracking number of the shipment; must match the recorded one."
    )


class TimelineFact(BaseModel):
    at: datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class CurrentStep(BaseModel):
    element_id: str = Field(description="BPMN element id of the active step.")
    element_type: str = Field(description="Engine activity type, e.g. userTask, receiveTask, callActivity.")
    name: str = Field(default="", description="The step's (Chinese) name in the diagram.")
    process_id: str = Field(description="Process the step belongs to (a called process shows its own id).")
    candidate_groups: list[str] = Field(description="For an open user task: the groups that can work on it.")
    user_task_id: str | None = Field(description="For an open user task: its id in the engine (Tasklist).")


class TimelineOut(BaseModel):
    order_id: int
    order_number: str
    status: OrderStatus
    facts: list[TimelineFact] = Field(description="Stored facts from the audit trail, oldest first.")
    current_steps: list[CurrentStep] | None = Field(
        description="Active steps of the order's process tree (called processes included); null without an instance."
    )


class OrderActionIn(BaseModel):
    """A sales manager's hold, resume or cancellation of an order: the reason is required."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(
        min_length=1, max_length=2000, description="Why (stored with the order and in its audit trail)."
    )
