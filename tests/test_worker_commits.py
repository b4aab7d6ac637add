"""How many store commits the workers make, counted by purpose (what ``./dev bench`` reports per service task).

A service task is one transaction (its effect and its processed-task record); a repeat delivery is one
more (the read of the first result). The heartbeat commits once per beat; an idle message dispatcher
looks at the outbox once per ``interval_s``, not on every stop check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from doorflow.messages import DISPATCHER_COMMITS, Dispatcher
from doorflow.operaton import OperatonClient
from doorflow.store import create_database, migrate
from models.db import PING, CommitCounter, make_engine, make_sessionmaker
from models.jobs import ProcessedTask
from tests.conftest import LiveEngine, make_settings, order_payload
from tests.redelivery import fetch_and_lock
from workers.main import make_executor
from workers.registry import TaskType
from workers.runtime import HEARTBEAT_COMMITS, SERVICE_TASK_COMMITS, Heartbeat

WORKER_ID = "test-worker-commits"


@pytest.fixture
def counted(db_url: str) -> Iterator[tuple[sessionmaker[Session], CommitCounter]]:
    """Sessions on an engine of their own whose commits are counted (the other fixtures' are not)."""
    engine = make_engine(db_url)
    counter = CommitCounter(engine)
    yield make_sessionmaker(engine), counter
    engine.dispose()


@pytest.fixture(scope="module")
def quiet_store(db_url: str) -> Iterator[Engine]:
    """A database of its own, migrated, with an outbox nobody else writes to."""
    url = create_database(db_url, "worker_commits_test")
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.mark.engine
def test_a_service_task_is_one_commit_and_a_repeat_delivery_one_more(
    api: TestClient,
    live_engine: LiveEngine,
    db_url: str,
    counted: tuple[sessionmaker[Session], CommitCounter],
) -> None:
    factory, counter = counted
    order = api.post("/orders", json=order_payload(customer_name="温州提交计数测试有限公司")).json()
    execute = make_executor(factory, make_settings(db_url, live_engine.cfg.url))

    task = fetch_and_lock(live_engine, TaskType.ORDER_REGISTER, order["order_number"], 1_000, 30, WORKER_ID)
    first = execute(task)
    assert first.kind == "complete" and first.variables["orderNumber"] == order["order_number"]
    assert counter.snapshot() == {SERVICE_TASK_COMMITS: 1}  # a new connection: no pre-ping

    # The lock ran out before the outcome was reported: the engine hands the same task out again.
    again = fetch_and_lock(live_engine, TaskType.ORDER_REGISTER, order["order_number"], 30_000, 30, WORKER_ID)
    second = execute(again)
    live_engine.client.call("POST", f"/external-task/{again.id}/unlock")
    assert again.id == task.id and second.variables == first.variables
    # The pooled connection is pinged when it is taken again: PostgreSQL counts that SELECT 1 as a commit.
    assert counter.snapshot() == {SERVICE_TASK_COMMITS: 2, SERVICE_TASK_COMMITS + PING: 1}
    with factory() as s:
        assert s.get(ProcessedTask, task.id) is not None


def test_a_heartbeat_is_one_commit(quiet_store: Engine) -> None:
    counter = CommitCounter(quiet_store)
    beat = Heartbeat(make_sessionmaker(quiet_store), WORKER_ID)
    beat.beat(False)
    beat.beat(True)
    beat.forget()
    assert counter.snapshot() == {HEARTBEAT_COMMITS: 3, HEARTBEAT_COMMITS + PING: 2}


def test_an_idle_dispatcher_looks_at_the_outbox_once_per_interval(quiet_store: Engine) -> None:
    counter = CommitCounter(quiet_store)
    # Never called: nothing waits in this outbox, so the dispatcher has nothing to deliver.
    engine = OperatonClient("http://127.0.0.1:9")
    dispatcher = Dispatcher(make_sessionmaker(quiet_store), engine)

    async def serve_a_while() -> float:
        stop = asyncio.Event()
        started = time.monotonic()
        serving = asyncio.create_task(dispatcher.serve(stop, interval_s=3.0))
        await asyncio.sleep(7.5)  # looks at 0 s, 3 s and 6 s; only stop checks in between
        stop.set()
        await asyncio.wait_for(serving, timeout=10)
        return time.monotonic() - started

    elapsed = asyncio.run(serve_a_while())
    engine.close()
    commits = counter.snapshot()
    looks = commits[DISPATCHER_COMMITS]
    assert set(commits) == {DISPATCHER_COMMITS, DISPATCHER_COMMITS + PING}
    assert 2 <= looks <= elapsed // 3 + 1, (commits, elapsed)
    assert commits[DISPATCHER_COMMITS + PING] <= 2 * looks  # its look and its read of the next retry's time
