"""Dependencies: settings, the session factory and the engine adapter live on ``app.state``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.access import Matrix, OrderView
from api.auth import CallerDep
from doorflow.history import EngineHistory
from doorflow.operaton import OperatonClient
from doorflow.settings import Settings
from models.clock import factory_today
from models.db import unit_of_work


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> OperatonClient:
    engine: OperatonClient = request.app.state.engine
    return engine


def get_history(request: Request) -> EngineHistory:
    history: EngineHistory = request.app.state.history
    return history


def transaction(request: Request) -> Iterator[Session]:
    """The request's one transaction: committed when the route returns, rolled back if it raises.

    Used with ``scope="function"`` (``SessionDep``): FastAPI then runs the commit after the route function
    and before the response is sent. With the default scope the commit would run after the client already
    has its 2xx, and an immediate read (or a worker woken by the answer) would not find what was created.
    """
    with unit_of_work(request.app.state.sessionmaker) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[OperatonClient, Depends(get_engine)]
HistoryDep = Annotated[EngineHistory, Depends(get_history)]
SessionDep = Annotated[Session, Depends(transaction, scope="function")]


def get_order_view(request: Request, caller: CallerDep) -> OrderView:
    """How much of the order book the caller sees (config/access.toml ``[orders]``)."""
    matrix: Matrix = request.app.state.access
    return matrix.order_view(caller.groups)


OrderViewDep = Annotated[OrderView, Depends(get_order_view)]


def get_factory_today(request: Request) -> date:
    """Today in the factory's time zone (setting ``factory_timezone``), not the host's date."""
    return factory_today(get_settings(request).factory_timezone)


FactoryTodayDep = Annotated[date, Depends(get_factory_today)]
