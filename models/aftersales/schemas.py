"""Input and output shapes of the after-sales domain (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from models.aftersales.tables import Channel, ProblemType, RepairDecision, Severity, TicketStatus, Urgency
from models.types import Int32, Line, Text


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_name: Line = Field(min_length=1, max_length=200, description="Who reports the problem.")
    customer_phone: Line | None = Field(default=None, max_length=40)
    customer_email: Line | None = Field(
        default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="For written updates."
    )
    order_number: Line | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="The door order concerned, if known (e.g. DO20261123-00001).",
    )
    door_line_no: Int32 | None = Field(
        default=None, ge=1, description="Line of that order, if known; needs order_number."
    )
    product_model: Line = Field(min_length=1, max_length=120, description="Door model as the customer names it.")
    problem_type: ProblemType = Field(description="Kind of problem, for the statistics.")
    problem_description: Text = Field(min_length=1, max_length=4000)
    channel: Channel = Field(description="How the problem reached us.")
    severity: Severity = Field(description="How bad the defect is.")
    urgency: Urgency = Field(description="How soon the customer needs help.")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    satisfied: bool = Field(description="Whether the customer confirms the problem is solved.")
    comments: Text | None = Field(default=None, max_length=4000)


class TicketEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    note: str


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_number: str
    customer_name: str
    customer_phone: str | None
    customer_email: str | None
    order_number: str | None
    door_line_no: int | None
    product_model: str
    problem_type: ProblemType
    problem_description: str
    channel: Channel
    severity: Severity
    urgency: Urgency
    priority: str | None
    status: TicketStatus
    escalated: bool
    process_instance_id: str | None
    opened_at: datetime
    contact_deadline_hours: int | None
    contact_due_at: datetime | None
    escalated_at: datetime | None
    first_contact_at: datetime | None
    customer_reached: bool | None
    initial_solution: str | None
    solved_at_first_contact: bool | None
    analysed_at: datetime | None
    cause: str | None
    decision: RepairDecision | None
    field_visit_needed: bool | None
    visit_date: date | None
    repaired_at: datetime | None
    repair_notes: str | None
    feedback_count: int
    reassessment_rounds: int
    resolved_at: datetime | None
    revisit_due_on: date | None
    calendar_warning: str | None = Field(
        description="Set when the revisit date was counted Monday to Friday because the year's official "
        "holiday schedule is missing (enter it in config/workdays/<year>.json)."
    )
    revisit_done_at: datetime | None
    satisfaction_score: int | None
    revisit_comments: str | None
    events: list[TicketEventOut]


class AfterSalesReport(BaseModel):
    ticket_count: int
    by_problem_type: dict[str, int] = Field(description="Tickets per problem type.")
    by_priority: dict[str, int] = Field(description="Tickets per priority (unclassified ones under 'none').")
    contacted_count: int = Field(description="Tickets with a first contact.")
    first_contact_within_deadline_rate: float | None = Field(
        description="Share of contacted tickets contacted by their deadline (0 to 1); null when none."
    )
    escalated_count: int
    resolved_count: int
    mean_resolution_hours: float | None = Field(description="Mean hours from intake to resolution.")
    revisited_count: int
    mean_satisfaction: float | None = Field(description="Mean revisit satisfaction score (1 to 5).")
    calendar_warnings: list[str] = Field(
        default_factory=list,
        description="The working-day calendar's warnings: a year's official schedule missing (this year; from "
        "November on next year too), invalid schedule files, revisits still due that were counted Monday to Friday.",
    )
    start: date | None = Field(default=None, description="Tickets opened from this day (factory date), if given.")
    end: date | None = Field(default=None, description="Tickets opened up to this day, if given.")
    salesperson: str | None = Field(default=None, description="Only tickets of this salesperson's orders.")
    in_time_contact_count: int = Field(default=0, description="Contacted tickets contacted by their deadline.")
    delivered_orders: int = Field(
        default=0, description="Orders (of the salesperson filter) delivered by the end of the period."
    )
    complaint_rate: float | None = Field(
        default=None, description="Tickets opened in the period ÷ delivered orders (客户投诉率); null when none."
    )
    resolution_target_hours: float | None = Field(default=None, description="Resolved within this is in time.")
    resolved_in_time_count: int = 0
    timely_resolution_rate: float | None = Field(
        default=None, description="Resolved within the target hours ÷ resolved (问题解决及时率); null when none."
    )
    positive_score: int | None = Field(default=None, description="A revisit score at least this is positive.")
    revisit_positive_count: int = 0
    revisit_positive_rate: float | None = Field(
        default=None, description="Positive revisits ÷ revisits (回访好评率); null when none."
    )


class TicketGroupStats(BaseModel):
    """Tickets of one problem type, product model or cause in a quarter, with handling times and satisfaction."""

    key: str = Field(description="The group's value (problem type code, product model or cause).")
    label: str = Field(description="Chinese label.")
    tickets: int
    resolved: int
    mean_handling_hours: float | None = Field(description="Mean hours from intake to resolution of the resolved.")
    revisited: int
    mean_satisfaction: float | None
    positive: int = Field(description="Revisits with a positive score.")


class QuarterlyRow(BaseModel):
    problem_type: str
    problem_type_label: str
    product_model: str
    cause: str
    tickets: int
    resolved: int
    mean_handling_hours: float | None
    mean_satisfaction: float | None


class AfterSalesQuarterly(BaseModel):
    """The quarterly after-sales statistics for the technical department (000 §5.3, 002): design and craft feedback."""

    year: int
    quarter: int
    start: date
    end: date
    salesperson: str | None = None
    ticket_count: int
    resolved_count: int
    mean_handling_hours: float | None
    revisited_count: int
    mean_satisfaction: float | None
    positive_score: int
    by_problem_type: list[TicketGroupStats]
    by_product_model: list[TicketGroupStats]
    by_cause: list[TicketGroupStats]
    rows: list[QuarterlyRow] = Field(description="Problem type × product model × cause.")
