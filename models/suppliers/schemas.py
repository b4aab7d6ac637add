"""Output and input shapes of the supplier scorecards (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from models.suppliers.tables import SupplierClass
from models.types import DecimalString, Text


class SupplierEvaluationOut(BaseModel):
    """The facts, score and class of one evaluation of a supplier (the latest decided one on a scorecard)."""

    evaluation_id: int
    run_id: int
    period_start: date
    period_end: date
    evaluated_at: datetime | None = Field(description="When DMN supplier-class decided the class.")
    class_before: str = Field(description="The supplier's class before this evaluation.")
    supplier_class: str | None = Field(description="A 优秀, B 合格, C 观察期, D 取消资格.")
    reason: str | None = Field(description="The matched rule's reason (Chinese).")
    score: DecimalString = Field(description="Weighted score 0-100 of the four sub-scores.")
    inspections: int = Field(description="Incoming inspections in the period.")
    inspections_passed: int
    pass_rate: DecimalString | None = Field(description="Share 0-1 of inspections passed; null without inspections.")
    deliveries_due: int = Field(description="Purchase orders due in the period and already due.")
    deliveries_on_time: int = Field(description="Of those, received in full by their due date.")
    on_time_rate: DecimalString | None
    priced_orders: int = Field(description="Purchase orders raised in the period with a price and a reference price.")
    purchase_amount: DecimalString
    reference_amount: DecimalString = Field(description="The same quantities at the materials' reference prices.")
    price_ratio: DecimalString | None = Field(description="purchase_amount / reference_amount; 1 is the reference.")
    returns: int = Field(description="Returns the supplier was asked to replace (the re-order went to it).")
    returns_handled: int = Field(description="Of those, replaced in full within the handling window.")
    service_rate: DecimalString | None


class SupplierScorecardOut(BaseModel):
    """A supplier's current class and scores (what the purchase step picks by) and its latest evaluation."""

    supplier_id: int
    name: str
    materials: list[str] = Field(description="Material codes it supplies.")
    supplier_class: str = Field(description="Current class: A 优秀, B 合格, C 观察期, D 取消资格.")
    class_label: str = Field(description="The class in Chinese.")
    may_receive_orders: bool = Field(description="False when disqualified or not in the qualified classes setting.")
    score: DecimalString = Field(description="Weighted score the purchase step ranks by within a class.")
    quality_score: DecimalString
    lead_time_score: DecimalString
    price_score: DecimalString
    service_score: DecimalString
    latest_evaluation: SupplierEvaluationOut | None = Field(description="Null until the supplier was first evaluated.")


class EvaluationStartedOut(BaseModel):
    process_instance_id: str = Field(description="The supplier-evaluation instance; the scorecards update as it runs.")
    business_key: str


class SupplierClassIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    supplier_class: SupplierClass = Field(description="A 优秀, B 合格, C 观察期, D 取消资格.")
    reason: Text = Field(min_length=1, max_length=2000, description="Why purchasing sets the class (audited).")
