"""Dependencies: settings, the session factory and the engine client live on ``app.state``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from doorflow.camunda import CamundaRest
from doorflow.settings import Settings
from models.db import unit_of_work


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_camunda(request: Request) -> CamundaRest:
    camunda: CamundaRest = request.app.state.camunda
    return camunda


def transaction(request: Request) -> Iterator[Session]:
    """The request's one transaction: committed when the route returns, rolled back if it raises."""
    with unit_of_work(request.app.state.sessionmaker) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
CamundaDep = Annotated[CamundaRest, Depends(get_camunda)]
SessionDep = Annotated[Session, Depends(transaction)]
