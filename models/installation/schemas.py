"""Input and output shapes of the installation domain (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from models.installation.tables import InstallationStatus
from models.types import Text


class ReplacementArrivedIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Text | None = Field(default=None, max_length=500, description="Delivery note of the replacement goods.")


class ReplacementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    installation_id: int
    damage_notes: str | None
    requested_at: datetime
    arrived_at: datetime | None


class SiteCheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    site_ready: bool
    goods_damaged: bool
    notes: str | None
    checked_at: datetime


class InstallationInspectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    round: int
    passed: bool
    cause: str | None
    fix_note: str | None
    inspected_at: datetime


class InstallationOut(BaseModel):
    """An order's installation: schedule, site checks, replacement goods and inspections."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    status: InstallationStatus
    site_address: str
    scheduled_date: date | None
    team: str | None
    completed_at: datetime | None
    checks: list[SiteCheckOut]
    replacements: list[ReplacementOut]
    inspections: list[InstallationInspectionOut]
