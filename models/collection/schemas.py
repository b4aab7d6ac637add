"""Input and output shapes of the collection domain (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from models.collection.tables import DunningAction, InstallmentKind, InstallmentStatus
from models.types import DecimalString, Line


class ScheduleItem(BaseModel):
    """One installment of a payment schedule (derived from the signed contract's payment terms)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    kind: InstallmentKind
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    due_date: date = Field(alias="dueDate")


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: DecimalString = Field(
        gt=0, max_digits=12, decimal_places=2, description='Amount received in CNY, a decimal string like "5000.00".'
    )
    external_reference: Line = Field(
        min_length=1,
        max_length=120,
        description="The bank's or finance system's reference of the payment; a repeated report with the same "
        "reference is answered with the first result and never counted twice.",
    )
    paid_on: date = Field(
        description="Value date of the payment: not before the contract was signed (before signing: not before "
        "the order was received), not after today in the factory's time zone."
    )


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    installment_id: int
    external_reference: str
    amount: DecimalString
    paid_on: date
    recorded_by: str
    created_at: datetime


class DunningStepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step_no: int
    action: DunningAction
    channel: str
    title: str
    balance: DecimalString
    reason: str
    result: str | None
    document_id: int | None
    taken_by: str
    taken_at: datetime


class InstallmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    order_number: str
    contract_number: str | None
    customer_name: str
    seq: int
    kind: InstallmentKind
    amount: DecimalString
    paid_amount: DecimalString
    balance: DecimalString
    due_date: date
    status: InstallmentStatus
    correlation_key: str = Field(
        description="Value of the local correlation key installmentKey of this installment's PaymentReceived message."
    )
    overdue_since: datetime | None
    paid_at: datetime | None
    legal_measure: str | None = Field(description="The legal department's decision once the ladder is exhausted.")
    legal_comment: str | None
    payments: list[PaymentOut]
    dunning_steps: list[DunningStepOut]


class PaymentResult(BaseModel):
    payment: PaymentOut
    installment: InstallmentOut
    duplicate: bool = Field(description="True when this reference was reported before; nothing new was recorded.")
    deposit_received: bool = Field(description="True when this payment settled the order's deposit.")


class RiskFlagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    installment_id: int
    reason: str
    flagged_at: datetime


class CustomerCollectionOut(BaseModel):
    customer_name: str
    open_balance: DecimalString = Field(description="Everything not yet paid, due or not.")
    overdue_balance: DecimalString = Field(description="Unpaid balance of installments past their due date.")
    risk_flagged: bool
    risk_flags: list[RiskFlagOut]
    installments: list[InstallmentOut]


class AgeingBucket(BaseModel):
    label: str
    min_days: int
    max_days: int | None
    amount: DecimalString
    count: int


class CollectionReport(BaseModel):
    as_of: date
    due_amount: DecimalString = Field(description="Sum of installments due on or before as_of.")
    collected_amount: DecimalString = Field(description="What has been paid of those installments.")
    collection_rate: DecimalString | None = Field(description="collected / due, 4 decimals; null when nothing is due.")
    overdue_amount: DecimalString
    overdue_count: int
    ageing: list[AgeingBucket]
    risk_customers: list[str]
    start: date | None = Field(default=None, description="Only installments due from this day, if given.")
    salesperson: str | None = Field(default=None, description="Only installments of this salesperson's orders.")
    due_count: int = Field(default=0, description="Installments due on or before as_of (from start).")
