"""Two engine nodes on one database: kill -9 one mid-batch, the other finishes every order, each effect once.

node-a and node-b (tests/cluster_support.py) share a fresh engine database; each has its own worker
process; both workers share doorflow's test database. The API starts the orders on node-a; simulated
staff complete user tasks through node-b. Halfway through the batch every worker's commit is held for
a moment (tests/cluster_support.worker_commits_held) so that tasks are locked and in flight on both
nodes, and node-a is killed with SIGKILL while its worker holds tasks. Its worker's effects then
commit but cannot be reported to the dead node; after the lock runs out node-b hands those tasks out
again and the processed-task record absorbs the repeat.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow.demo import active, order_body
from doorflow.history import EngineHistory
from doorflow.operaton import parse_date
from doorflow.staff import SimulatedStaff
from models.jobs import ProcessedTask
from tests.cluster_support import (
    JOB_LOCK_MS,
    WORKER_TASK_LOCK_MS,
    Cluster,
    DrivenOrder,
    already_done_ids,
    business_effects,
    drive_round_robin,
    locked_tasks,
    quiet,
    running_cluster,
    unreported_ids,
    worker_commits_held,
)
from tests.conftest import authed, make_settings

pytestmark = pytest.mark.engine

# Reached on the happy path after registration, review (3 departments), pricing with the sales
# manager's approval, contract drafting, legal review, signature, handover (3 confirmations) and the
# deposit check: 11 service tasks (plus the payment-collection instance's) and 9 user tasks per order.
STAGE = "WaitForDeposit"
WAVE = 4  # orders started before the failure, and as many started just before it: a batch of 8
DISCOUNT = {"requested_discount_percent": "8"}  # above the sales manager's threshold: ApprovePrice
FAILOVER_LIMIT_S = 60.0


@pytest.fixture
def cluster(db_url: str, tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(db_url, tmp_path, say=lambda m: print(m, flush=True)) as running:
        yield running


def _success_logs(cluster: Cluster) -> list[dict[str, Any]]:
    """Every successful completion of an external task in the cluster's (own) database."""
    rows: list[dict[str, Any]] = cluster.b.client.get(
        "/history/external-task-log", successLog="true", maxResults=100_000
    )
    return rows


def test_a_node_killed_mid_batch_the_other_finishes_every_order_each_effect_once(
    cluster: Cluster, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = cluster.a, cluster.b
    history = EngineHistory(b.client)  # staff and every check go through the surviving node
    app = create_app(make_settings(cluster.db_url, a.url))
    with TestClient(app) as api:
        authed(api)

        def start(i: int) -> DrivenOrder:
            response = api.post("/orders", json=order_body(i, DISCOUNT))
            assert response.status_code == 201, response.text
            return DrivenOrder(response.json(), SimulatedStaff(b.client, history), STAGE)

        # The reference: one order driven to the stage on the healthy cluster.
        control = start(0)
        drive_round_robin([control], timeout_s=240)

        first = [start(i) for i in range(1, WAVE + 1)]
        drive_round_robin(first, timeout_s=240, until=lambda: sum(len(o.staff.done) for o in first) >= 4 * WAVE)

        with worker_commits_held(cluster.db_url):
            # The rest of the batch starts on node-a (which wakes its worker's long poll); staff go on.
            second = [start(i) for i in range(WAVE + 1, 2 * WAVE + 1)]
            batch = first + second
            deadline = time.monotonic() + 60
            while not locked_tasks(b.client, a.worker_id) and time.monotonic() < deadline:
                for order in batch:
                    order.step()
                time.sleep(0.5)
            in_flight_a = locked_tasks(b.client, a.worker_id)
            in_flight_b = locked_tasks(b.client, b.worker_id)
            assert in_flight_a, "node-a's worker never held a task: nothing was in flight on node-a"
            killed_at = time.monotonic()
            killed_wall = datetime.now(UTC)
            a.process.kill()
        assert not a.alive()

        drive_round_robin(batch, timeout_s=300)
        last_reached_s = max(o.reached_at or 0.0 for o in batch) - killed_at

    # What node-a's worker held: seen locked just before the kill, or run and then not reportable.
    history.wait_for(lambda: unreported_ids(cluster.worker_log(a)), FAILOVER_LIMIT_S, "node-a's worker giving up")
    ids_a = {t["id"] for t in in_flight_a} | unreported_ids(cluster.worker_log(a))

    def completed_a() -> list[dict[str, Any]] | None:
        rows = _success_logs(cluster)
        return rows if ids_a <= {r["externalTaskId"] for r in rows} else None

    history.wait_for(completed_a, FAILOVER_LIMIT_S, "node-a's in-flight tasks completed through node-b")
    # Due timers (settlement notices) and their tasks run on: compare the store once nothing moves.
    history.wait_for(lambda: quiet(b.client), 120, "a quiet cluster")
    logs = _success_logs(cluster)
    done_a = [r for r in logs if r["externalTaskId"] in ids_a]
    assert {r["workerId"] for r in done_a} == {b.worker_id}
    recovered = sorted((parse_date(r["timestamp"]) - killed_wall).total_seconds() for r in done_a)

    completions = Counter(r["externalTaskId"] for r in logs)
    with sessions() as session:
        processed = session.scalars(select(ProcessedTask.task_id).where(ProcessedTask.task_id.in_(completions))).all()
        registered = session.scalar(
            select(func.count()).select_from(ProcessedTask).where(ProcessedTask.task_id.in_(completions))
        )
        effects = {o.order["order_number"]: business_effects(session, o.order["id"]) for o in [control, *batch]}

    jobs = b.client.get("/history/job-log/count", successLog="true")["count"]
    reference = effects[control.order["order_number"]]
    redelivered = already_done_ids(cluster.worker_log(b)) | already_done_ids(cluster.worker_log(a))
    with capsys.disabled():  # shown in every run's output
        print(
            f"\n[cluster] {len(batch)} orders (+1 reference) to {STAGE}; {len(completions)} external tasks, "
            f"{sum(len(o.staff.done) for o in [control, *batch])} user tasks; node-a killed holding "
            f"{len(ids_a)} tasks ({len(in_flight_a)} seen locked: "
            f"{sorted(Counter(t['topicName'] for t in in_flight_a).items())}), node-b {len(in_flight_b)}; "
            f"{jobs} timer jobs run; redeliveries absorbed ('was already done'): {len(redelivered)} "
            f"({len(redelivered & ids_a)} of node-a's); node-a's tasks completed via node-b "
            f"{recovered[0]:.1f} to {recovered[-1]:.1f}s after the kill; last order at the stage "
            f"{last_reached_s:.1f}s after the kill (worker lock {WORKER_TASK_LOCK_MS / 1000:.0f}s, "
            f"job lock {JOB_LOCK_MS / 1000:.0f}s; cluster up in {cluster.startup_s:.0f}s)\n"
            f"[cluster] effects per order (each order equal): {dict(sorted(reference.items()))}"
        )

    # Every order is at the stage the reference reached without a failure.
    assert all(active(history, o.root, STAGE) for o in batch)
    # The engine completed each external task once, and each has one effect record.
    assert set(completions.values()) == {1}
    assert registered == len(processed) == len(set(processed)) == len(completions)
    # Node-a's tasks went through node-b's worker, which found at least one's effect already done.
    assert redelivered & ids_a
    # No business effect twice: every order holds exactly what the reference holds.
    assert reference["audit order order.registered"] == 1
    assert reference["contract versions"] == reference["handover sheets"] == 1
    assert {number: got for number, got in effects.items() if got != reference} == {}
    # No incident, open or resolved, anywhere in the cluster.
    assert b.client.get("/incident") == []
    assert b.client.get("/history/incident") == []
    assert recovered[-1] <= FAILOVER_LIMIT_S
