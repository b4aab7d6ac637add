"""Input and output shapes of the installation domain (pydantic); English descriptions feed OpenAPI."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ReplacementArrivedIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str | None = Field(default=None, max_length=500, description="Delivery note of the replacement goods.")


class ReplacementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    installation_id: int
    damage_notes: str | None
    requested_at: datetime
    arrived_at: datetime | None
