"""What ``/health`` answers: the overall status and one entry per part (database, engine, workers)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class PartOut(BaseModel):
    """One part's status; a part that is down says why in ``error``, the others add what they know."""

    model_config = ConfigDict(extra="allow")  # the engine adds its version, the workers who is alive or stale

    status: Literal["up", "down"]
    error: str | None = None


class HealthOut(BaseModel):
    status: Literal["ok", "down"]
    down: list[Literal["database", "engine", "workers"]]
    components: dict[Literal["database", "engine", "workers"], PartOut]
