"""Shared fixtures: a fresh PostgreSQL, the real local engine on free ports, the workers, the API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow import stack
from doorflow.camunda import CamundaRest
from doorflow.engine import EngineConfig
from doorflow.records import RecordLog
from doorflow.settings import Settings
from doorflow.store import migrate, start_embedded_postgres
from models.db import make_engine, make_sessionmaker


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "engine_clock: pins the engine clock ahead; runs after every other test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that move the engine clock last.

    Resetting a clock pinned days ahead moves the engine's time backwards, and the engine's internal
    scheduling (job time-outs, long-polling activations) then waits for the pinned time to come
    round again. Tests that rely on it (e.g. redelivery after a job time-out) must run before.
    """
    items.sort(key=lambda item: item.get_closest_marker("engine_clock") is not None)


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh embedded PostgreSQL for the test session, migrated with Alembic."""
    url = start_embedded_postgres(tmp_path_factory.mktemp("postgres"))
    migrate(url)
    return url


@pytest.fixture(scope="session")
def db(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(db: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(db)


@dataclass
class LiveEngine:
    cfg: EngineConfig
    camunda: CamundaRest
    records: RecordLog
    startup_s: float


@pytest.fixture(scope="session")
def live_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveEngine]:
    """The real Camunda engine (fresh data folder, free ports) with every resource of bpmn/ deployed."""
    cfg = EngineConfig(
        work_dir=tmp_path_factory.mktemp("engine"),
        grpc_port=stack.free_port(),
        rest_port=stack.free_port(),
        management_port=stack.free_port(),
        command_port=stack.free_port(),
        internal_port=stack.free_port(),
    )
    started = time.monotonic()
    with stack.running_engine(cfg, progress=lambda m: print(m, flush=True)):
        camunda = CamundaRest(cfg.rest_url)
        stack.deploy_all(camunda)
        yield LiveEngine(cfg, camunda, RecordLog(cfg.records_file), time.monotonic() - started)
        camunda.close()


@pytest.fixture(scope="module")
def workers(live_engine: LiveEngine, db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[stack.Child]:
    """The real worker process, connected to the live engine and the test database (per module)."""
    env = stack.child_env(db_url, live_engine.cfg, api_port=0)
    child = stack.start_workers(env, tmp_path_factory.mktemp("worker-logs"))
    yield child
    child.stop()


def make_settings(db_url: str, rest_url: str, records: Path | None = None) -> Settings:
    return Settings(database_url=db_url, camunda_rest_url=rest_url, engine_records_file=records)


@pytest.fixture
def api(db_url: str, live_engine: LiveEngine) -> Iterator[TestClient]:
    app = create_app(make_settings(db_url, live_engine.cfg.rest_url, live_engine.cfg.records_file))
    with TestClient(app) as client:
        yield client


def order_payload(**overrides: object) -> dict[str, object]:
    """A realistic order: two door lines for a flat in Hangzhou."""
    body: dict[str, object] = {
        "customer_name": "杭州绿城物业有限公司",
        "customer_phone": "0571-88886666",
        "delivery_address": "浙江省杭州市西湖区文三路 100 号",
        "requested_delivery_date": "2099-06-30",
        "salesperson": "王磊",
        "lines": [
            {
                "door_type": "steel_security",
                "width_mm": 960,
                "height_mm": 2050,
                "wall_thickness_mm": 240,
                "material": "冷轧钢板",
                "finish": "古铜色",
                "handing": "left_inswing",
                "lock_hardware": "C级锁芯",
                "quantity": 12,
                "unit_price": "2380.00",
            },
            {
                "door_type": "wooden",
                "width_mm": 850,
                "height_mm": 2100,
                "handing": "right_inswing",
                "quantity": 36,
                "unit_price": "1280.50",
            },
        ],
    }
    body.update(overrides)
    return body


def reset_engine_clock(live_engine: LiveEngine) -> None:
    """Reset the engine clock, then pause and resume processing so the engine's checkers are rescheduled.

    Zeebe 8.6 schedules its job-timeout checker at "engine clock + interval"; after a pin forward and a
    reset that moment lies days ahead, and no job times out for the rest of the session (the redelivery
    test then fails). Resuming processing schedules the checkers afresh from the reset clock.
    """
    live_engine.camunda.reset_clock()
    base = f"{live_engine.cfg.management_url}/actuator/partitions"
    for operation in ("pauseProcessing", "resumeProcessing"):
        httpx.post(f"{base}/{operation}", timeout=10).raise_for_status()
