"""Input and output shapes of the production domain (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from models.production.tables import DelayCause, PurchaseStatus


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=2, description="Quantity delivered.")
    delivery_note: str | None = Field(default=None, max_length=80, description="Supplier's delivery note number.")
    received_by: str = Field(min_length=1, max_length=120, description="Warehouse clerk who received the goods.")


class ReceiptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    purchase_order_number: str
    quantity: Decimal
    delivery_note: str | None
    received_by: str
    received_at: datetime


class PurchaseOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    order_id: int
    material_code: str
    material_name: str
    supplier_name: str
    quantity: Decimal
    status: PurchaseStatus
    replaces_id: int | None


class DelayIn(BaseModel):
    """A delay as the production department reports it (form fields of the delay user task)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    cause: DelayCause = Field(description="Force majeure or internal.")
    cause_detail: str = Field(min_length=1, max_length=2000)
    remedy: str = Field(min_length=1, max_length=2000)
    new_due_date: date
    responsibility: str = Field(min_length=1, max_length=200)
