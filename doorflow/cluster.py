"""A two-node engine cluster of its own: the fault suite (``./dev faults``) and the failover test use it.

Two Operaton nodes (node-a, node-b) on one engine database, each with its own worker process; both
workers share doorflow's database, as replicas do in production. Nodes can be killed (kill -9),
stopped and started again on the same port and database; a worker process can be killed and started
again with the same command. Plus what a check of the cluster needs: the tasks a worker holds,
redeliveries read from the worker logs, "nothing moves any more", and an order's business effects.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from doorflow import stack
from doorflow.demo import active
from doorflow.engine import EngineConfig, EngineProcess, Progress, ensure_engine_jar, start_engine
from doorflow.operaton import OperatonClient
from doorflow.staff import Answer, SimulatedStaff
from doorflow.store import create_database
from models.audit import AuditEntry
from models.collection.tables import Installment
from models.contracts.tables import Contract, ContractVersion
from models.documents.tables import Document
from models.fulfilment.tables import HandoverSheet

# A dead node's async jobs wait out the job lock (plus at most 1 s of acquisition in test mode);
# a dead node's worker cannot report, so its external tasks wait out the worker's lock duration and
# are then fetched (and completed) through the other node.
JOB_LOCK_MS = 20_000
WORKER_TASK_LOCK_MS = 15_000
CLUSTER_DATABASE = "operaton_cluster"

Say = Callable[[str], None]


@dataclass
class Node:
    """One engine node with the worker process that talks to it."""

    cfg: EngineConfig
    process: EngineProcess
    client: OperatonClient
    jar: Path
    worker: stack.Child | None = None
    starts: int = 1  # how often this node's JVM was started

    @property
    def name(self) -> str:
        return self.cfg.node_name

    @property
    def url(self) -> str:
        return self.cfg.url

    @property
    def worker_id(self) -> str:
        """The external-task worker id of this node's worker process (see workers.external.ClientConfig)."""
        assert self.worker is not None
        return worker_id_of(self.worker.proc.pid)

    def alive(self) -> bool:
        return self.process.proc.poll() is None

    def kill(self) -> None:
        """kill -9 of the node's JVM: it dies holding its locks."""
        self.process.kill()

    def stop(self) -> None:
        """A clean shutdown (SIGTERM)."""
        self.process.stop()

    def start(self) -> None:
        """Start the node again (same port, same database); :meth:`wait_ready` waits for it."""
        if self.alive():
            raise RuntimeError(f"{self.name} is still running")
        self.process = start_engine(self.cfg, self.jar)
        self.starts += 1

    def wait_ready(self, progress: Progress) -> float:
        return self.process.wait_ready(progress=progress)


def worker_id_of(pid: int) -> str:
    return f"doorflow-{socket.gethostname()}-{pid}"


@dataclass
class Cluster:
    a: Node
    b: Node
    db_url: str
    startup_s: float

    @property
    def nodes(self) -> tuple[Node, Node]:
        return self.a, self.b

    def worker_log(self, node: Node) -> str:
        assert node.worker is not None
        return node.worker.log.read_text(encoding="utf-8", errors="replace")


def _worker_env(db_url: str, engine_url: str, extra: Mapping[str, str]) -> dict[str, str]:
    env = stack.child_env(db_url, engine_url, api_port=0)
    env["DOORFLOW_TASK_LOCK_MS"] = str(WORKER_TASK_LOCK_MS)
    env.update(extra)
    return env


@contextlib.contextmanager
def running_cluster(
    db_url: str,
    work_dir: Path,
    say: Say = print,
    engine_server_url: str | None = None,
    clock_control: bool = False,
    worker_env: Mapping[str, str] | None = None,
) -> Iterator[Cluster]:
    """node-a and node-b on ``operaton_cluster``, everything of bpmn/ deployed once, a worker per node.

    The engine database is made on ``engine_server_url``'s server (default: doorflow's). Every
    process started here is stopped on the way out (a node killed by the caller is left dead).
    """
    engine_db = create_database(engine_server_url or db_url, CLUSTER_DATABASE)
    jar = ensure_engine_jar(progress=say)
    started = time.monotonic()
    with contextlib.ExitStack() as cleanup:
        nodes: list[Node] = []
        for name in ("node-a", "node-b"):
            cfg = EngineConfig(
                work_dir=work_dir / name,
                port=stack.free_port(),
                db_url=engine_db,
                test_mode=True,
                clock_control=clock_control,
                node_name=name,
                job_lock_time_ms=JOB_LOCK_MS,
            )
            process = start_engine(cfg, jar)
            node = Node(cfg, process, stack.system_client(cfg), jar)
            cleanup.callback(_stop_node, node)
            cleanup.callback(node.client.close)
            # One at a time: the first node creates the schema, the second finds it.
            process.wait_ready(progress=say)
            nodes.append(node)
        a, b = nodes
        stack.deploy_all(a.client)
        for node in nodes:
            env = _worker_env(db_url, node.url, worker_env or {})
            node.worker = stack.start_workers(env, work_dir / f"workers-{node.name}")
            cleanup.callback(node.worker.stop)
        for node in nodes:
            wait_worker_serving(node)
        yield Cluster(a, b, db_url, time.monotonic() - started)


def _stop_node(node: Node) -> None:
    node.process.stop()  # the node's current process: it may have been started again


def wait_worker_serving(node: Node, timeout_s: float = 60, since: int = 0) -> None:
    """Wait until the node's worker process logged that it serves (after byte ``since`` of its log)."""
    assert node.worker is not None
    deadline = time.monotonic() + timeout_s
    while "serving" not in node.worker.log.read_bytes()[since:].decode("utf-8", errors="replace"):
        if node.worker.proc.poll() is not None:
            raise RuntimeError(f"workers of {node.name} exited; see {node.worker.log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"workers of {node.name} did not start within {timeout_s}s; see {node.worker.log}")
        time.sleep(0.3)


@contextlib.contextmanager
def worker_commits_held(db_url: str) -> Iterator[None]:
    """Hold every worker's transaction at its last step until the block ends.

    A handler's effect and its ``processed_tasks`` row commit together; with the table locked in
    SHARE mode the row's INSERT waits, so each task fetched meanwhile stays locked and in flight (its
    effect done but not committed), as with a slow database. Reads go on.
    """
    with psycopg.connect(db_url) as conn:
        conn.execute("LOCK TABLE processed_tasks IN SHARE MODE")
        try:
            yield
        finally:
            conn.rollback()


def locked_tasks(client: OperatonClient, worker_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.get("/external-task", workerId=worker_id, locked="true")
    return rows


def already_done_ids(log_text: str) -> set[str]:
    """Task ids the worker found done already (a redelivery absorbed by processed_tasks)."""
    return set(re.findall(r"task (\S+) \(\S+\) was already done", log_text))


def concurrent_done_ids(log_text: str) -> set[str]:
    """Task ids whose second delivery ran at the same time as the first and lost the race to commit."""
    return set(re.findall(r"task (\S+) \(\S+\) was done by a concurrent delivery", log_text))


def unreported_ids(log_text: str) -> set[str]:
    """Task ids the worker ran but could not report (its engine node was dead)."""
    return set(re.findall(r"task (\S+): gave up reporting", log_text))


def quiet(client: OperatonClient) -> bool:
    """No external task open and no job due anywhere in the cluster: nothing is still moving."""
    tasks = client.get("/external-task/count")["count"]
    jobs = client.get("/job/count", executable="true")["count"]
    return int(tasks) == 0 and int(jobs) == 0


@dataclass
class DrivenOrder:
    """One order and the simulated staff driving it to ``stage`` through one node's REST API."""

    order: dict[str, Any]
    staff: SimulatedStaff
    stage: str
    overrides: dict[str, Answer | list[Answer]] = field(default_factory=dict)
    reached_at: float | None = None  # time.monotonic() when the stage was seen active

    @property
    def root(self) -> str:
        return str(self.order["process_instance_id"])

    def step(self) -> bool:
        """Check the stage once and complete the open user tasks; True once the stage is active."""
        if self.reached_at is not None:
            return True
        history = self.staff.history
        if active(history, self.root, self.stage):
            self.reached_at = time.monotonic()
            return True
        done = {t.id for t in self.staff.done}
        for task in history.open_user_tasks_in_tree(self.root):
            if task.id in done or task.element_id == self.stage:
                continue
            self.staff.complete(task, self.staff.answer_for(task, self.overrides))
        return False


def drive_round_robin(
    orders: list[DrivenOrder],
    timeout_s: float,
    until: Callable[[], bool] | None = None,
    pause_s: float = 0.5,
) -> None:
    """Drive the orders a step at a time until every one reached its stage (or ``until()`` holds).

    One thread for the whole batch: light on a busy 2-core machine.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        pending = [o for o in orders if not o.step()]
        if not pending or (until is not None and until()):
            return
        if time.monotonic() > deadline:
            where = {o.order["order_number"]: o.staff.history.current_steps(o.root) for o in pending}
            raise TimeoutError(f"{len(pending)} orders did not reach their stage within {timeout_s}s: {where}")
        time.sleep(pause_s)


def business_effects(session: Session, order_id: int) -> Counter[str]:
    """What doorflow's store holds for one order: audit actions (the order's, its installments' and its
    documents'), documents by kind, contract versions, handover sheets, installments. A task whose
    effect happened twice shows here as a count above the one of an order driven without failures."""
    installment_ids = [str(i) for i in session.scalars(select(Installment.id).where(Installment.order_id == order_id))]
    documents = list(session.scalars(select(Document).where(Document.order_id == order_id)))
    document_ids = [str(d.id) for d in documents]
    entries = session.scalars(
        select(AuditEntry).where(
            or_(
                and_(AuditEntry.entity == "order", AuditEntry.entity_id == str(order_id)),
                and_(AuditEntry.entity == "installment", AuditEntry.entity_id.in_(installment_ids)),
                and_(AuditEntry.entity == "document", AuditEntry.entity_id.in_(document_ids)),
            )
        )
    )
    effects: Counter[str] = Counter(f"audit {e.entity} {e.action}" for e in entries)
    effects.update(f"document {d.kind}" for d in documents)
    versions = session.scalar(
        select(func.count(ContractVersion.id)).join(Contract).where(Contract.order_id == order_id)
    )
    sheets = session.scalar(select(func.count(HandoverSheet.id)).where(HandoverSheet.order_id == order_id))
    effects["contract versions"] = int(versions or 0)
    effects["handover sheets"] = int(sheets or 0)
    effects["installments"] = len(installment_ids)
    return effects
