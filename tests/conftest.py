"""Shared fixtures: a fresh PostgreSQL, the real local engine on free ports, the workers, the API."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Authenticator, Caller, display_name
from api.main import create_app
from doorflow import identity, stack
from doorflow.engine import EngineConfig
from doorflow.history import EngineHistory
from doorflow.operaton import OperatonClient
from doorflow.settings import Settings
from doorflow.store import create_database, migrate, start_embedded_postgres
from models.db import make_engine, make_sessionmaker
from models.production.tables import Supplier
from models.suppliers import service as supplier_service


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "engine_clock: pins the engine clock ahead; runs after every other test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that move the engine clock last.

    Resetting a clock pinned days ahead moves the engine's time backwards: locks taken and timers
    scheduled while it was ahead then lie days in the future. Tests that rely on lock expiry (e.g.
    redelivery of an external task) must run before.
    """
    items.sort(key=lambda item: item.get_closest_marker("engine_clock") is not None)


@pytest.fixture(scope="session")
def db_url() -> Iterator[str]:
    """A fresh embedded PostgreSQL for the test session, migrated with Alembic.

    Its folder is not under pytest's temporary root: PostgreSQL runs as its own user, and pytest
    makes that root private again whenever another session starts.
    """
    folder = Path(tempfile.mkdtemp(prefix="doorflow-test-pg-"))
    # atexit runs last-in first-out: the server (registered by the start) stops before its folder goes.
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = start_embedded_postgres(folder)
    migrate(url)
    yield url


@pytest.fixture(scope="session")
def db(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(db: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(db)


@pytest.fixture(scope="session")
def engine_db_url(db_url: str) -> str:
    """The engine's own database on the same server as doorflow's (as in production)."""
    return create_database(db_url, "operaton")


@dataclass
class LiveEngine:
    cfg: EngineConfig
    client: OperatonClient
    history: EngineHistory
    startup_s: float


@pytest.fixture(scope="session")
def live_engine(tmp_path_factory: pytest.TempPathFactory, engine_db_url: str) -> Iterator[LiveEngine]:
    """The real Operaton engine (own database, free port, test clock on) with every resource of bpmn/ deployed."""
    cfg = EngineConfig(
        work_dir=tmp_path_factory.mktemp("engine"),
        port=stack.free_port(),
        db_url=engine_db_url,
        clock_control=True,
        test_mode=True,
    )
    started = time.monotonic()
    with stack.running_engine(cfg, progress=lambda m: print(m, flush=True)):
        client = stack.system_client(cfg)
        stack.deploy_all(client)
        # The monthly supplier evaluation runs in this session only when a test starts it. Its timer would
        # otherwise fire whenever a test moves the clock past the 1st and reclassify the seeded suppliers
        # from the deliveries other tests left behind (the timer's own test activates it).
        client.set_jobs_suspended(supplier_service.PROCESS_ID, True)
        yield LiveEngine(cfg, client, EngineHistory(client), time.monotonic() - started)
        client.close()


@pytest.fixture(scope="module")
def workers(live_engine: LiveEngine, db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[stack.Child]:
    """The real worker process, connected to the live engine and the test database (per module)."""
    env = stack.child_env(db_url, live_engine.cfg.url, api_port=0)
    child = stack.start_workers(env, tmp_path_factory.mktemp("worker-logs"))
    yield child
    child.stop()


def make_settings(db_url: str, engine_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, engine_url=engine_url)


# The API's callers are engine users (HTTP Basic, api/auth.py). Tests call as the system user unless a
# test is about who calls: it may call every route of the role matrix (group operaton-admin).
SYSTEM_USER = "doorflow"


def login(user: str = SYSTEM_USER) -> tuple[str, str]:
    """HTTP Basic credentials of a declared engine user: its password from its variable or the demo-only default."""
    return identity.credentials(user)


def authed(client: TestClient, user: str = SYSTEM_USER) -> TestClient:
    """The client, calling as ``user`` from now on."""
    client.auth = login(user)
    return client


def actor_of(user: str = SYSTEM_USER) -> str:
    """How the audit trail names a declared user who called the API (e.g. "wanglei 王磊")."""
    declared = identity.user(user)
    return Caller(user, display_name(declared["firstName"], declared["lastName"]), frozenset()).actor


def verified(live_engine: LiveEngine, user: str = SYSTEM_USER, ttl_s: float = 3600) -> Authenticator:
    """An authenticator that has verified ``user`` with the live engine and remembers it for ``ttl_s``.

    For an app whose engine is unreachable (``create_app(settings, authenticator=verified(live_engine))``):
    as for an API whose engine went away after the caller had logged in, the remembered login lets the
    request reach the route, which then meets the missing engine.
    """
    authenticator = Authenticator(ttl_s)
    assert authenticator.authenticate(live_engine.client, *login(user)) is not None, user
    return authenticator


@pytest.fixture
def api(db_url: str, live_engine: LiveEngine) -> Iterator[TestClient]:
    app = create_app(make_settings(db_url, live_engine.cfg.url))
    with TestClient(app) as client:
        yield authed(client)


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
    """Put the engine clock back to real time after a test moved it."""
    live_engine.client.reset_clock()


# The lock suppliers as migration 0004 seeds them. The supplier tests run the evaluation and reclassify them
# from their own test facts; tests that assert which seeded supplier the purchase step picks start from the
# seeded standing.
SEEDED_LOCK_SUPPLIERS = {
    "浙江永康金盾锁业有限公司": ("A", 92, 85, 78, 88),
    "温州安居五金制品厂": ("B", 80, 90, 88, 75),
}


def restore_seeded_suppliers(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        for supplier in s.scalars(select(Supplier).where(Supplier.name.in_(SEEDED_LOCK_SUPPLIERS))):
            klass, quality, lead, price, service = SEEDED_LOCK_SUPPLIERS[supplier.name]
            supplier.qualification_class = klass
            supplier.quality_score, supplier.lead_time_score = Decimal(quality), Decimal(lead)
            supplier.price_score, supplier.service_score = Decimal(price), Decimal(service)
