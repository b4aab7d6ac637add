"""Input and output shapes of the orders domain (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from models.orders.tables import DoorType, Handing, OrderStatus


class DoorLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    door_type: DoorType = Field(description="Kind of door.")
    width_mm: int = Field(gt=0, description="Opening width in millimetres.")
    height_mm: int = Field(gt=0, description="Opening height in millimetres.")
    wall_thickness_mm: int | None = Field(default=None, gt=0, description="Wall thickness in millimetres.")
    material: str | None = Field(default=None, max_length=120)
    finish: str | None = Field(default=None, max_length=120, description="Finish or colour.")
    handing: Handing = Field(description="Opening direction.")
    lock_hardware: str | None = Field(default=None, max_length=200, description="Lock and hardware.")
    quantity: int = Field(gt=0, description="Number of doors.")
    unit_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2, description="Price per door in CNY.")


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_name: str = Field(min_length=1, max_length=200)
    customer_phone: str | None = Field(default=None, max_length=40)
    delivery_address: str = Field(min_length=1, max_length=500)
    requested_delivery_date: date
    salesperson: str | None = Field(default=None, max_length=120)
    notes: str | None = Field(default=None, max_length=4000)
    lines: list[DoorLineIn] = Field(min_length=1, description="At least one door line.")


class DoorLineOut(DoorLineIn):
    model_config = ConfigDict(from_attributes=True)

    line_no: int


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_number: str
    customer_name: str
    customer_phone: str | None
    delivery_address: str
    requested_delivery_date: date
    salesperson: str | None
    notes: str | None
    status: OrderStatus
    process_instance_key: int | None
    total_amount: Decimal
    created_at: datetime
    lines: list[DoorLineOut]
