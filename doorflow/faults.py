"""The fault suite (``./dev faults``): whole lifecycles on a two-node cluster while things break.

It starts a stack of its own: an embedded PostgreSQL for doorflow's store and another for the engine's
database (so a store restart hits doorflow only), two Operaton nodes on that one engine database with
a worker process each, the SMTP mail sink, the API (uvicorn on loopback, reaching the engine through a
small TCP forwarder that stands for the load balancer in front of the cluster), then drives a batch of
orders and after-sales tickets from intake to completion with simulated staff and systems (the
engine clock is moved on both nodes where the follow-up visit and the revisit wait), and injects:

- ``worker-kill``: SIGKILL of a worker process holding tasks mid-run (then it is started again);
- ``slow-handler``: a handler slower than its lock: the task's lock is ended while the handler runs,
  the engine hands the same task out a second time, both run, one commits;
- ``db-restart``: doorflow's PostgreSQL restarted under load;
- ``api-restart``: the API process restarted while simulated systems call it;
- ``engine-restarts``: both engine nodes stopped and started N times in a row; the workers (same
  processes) must fetch and complete tasks afterwards and keep beating;
- ``engine-unreachable``: the API cannot reach any engine node while orders arrive; the shop front
  retries on 503 with the same Idempotency-Key;
- ``node-kill``: kill -9 of engine node-a while its worker holds tasks, then node-a is started again.

At the end it checks that every order and ticket reached its final state, that every business effect
happened exactly once, that no incident is open, and counts injected faults and the redeliveries the
processed-task record absorbed. The result is printed and written as JSON.
"""

from __future__ import annotations

import contextlib
import email.parser
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from doorflow import identity, mailsink, stack
from doorflow.cluster import (
    Cluster,
    already_done_ids,
    business_effects,
    concurrent_done_ids,
    locked_tasks,
    quiet,
    running_cluster,
    unreported_ids,
    wait_worker_serving,
    worker_commits_held,
)
from doorflow.demo import TICKETS, active, order_body
from doorflow.history import EngineHistory
from doorflow.operaton import EngineRejected, EngineUnreachable, OperatonClient, parse_date
from doorflow.settings import ROOT, Settings
from doorflow.simulated_systems import factory_responders
from doorflow.staff import Responder, SimulatedStaff
from doorflow.store import migrate, restart_embedded_postgres, start_embedded_postgres, stop_embedded_postgres
from models.collection.service import NOTICE_PURPOSE, Schedule
from models.collection.tables import CollectionEmail, EmailStatus, Installment, Payment
from models.db import make_engine, make_sessionmaker
from models.fulfilment.tables import Acceptance, FollowUpVisit, Shipment
from models.jobs import ProcessedTask

Say = Callable[[str], None]

WORKER_KILL = "worker-kill"
SLOW_HANDLER = "slow-handler"
DB_RESTART = "db-restart"
API_RESTART = "api-restart"
ENGINE_RESTARTS = "engine-restarts"
ENGINE_UNREACHABLE = "engine-unreachable"
NODE_KILL = "node-kill"
FAULT_KINDS = (WORKER_KILL, SLOW_HANDLER, DB_RESTART, API_RESTART, ENGINE_RESTARTS, ENGINE_UNREACHABLE, NODE_KILL)

ORDER_DONE = "completed"
TICKET_DONE = "closed"
PAYMENT_MESSAGE = "PaymentReceived"
NOTICE_TIMER = "NoticeDateReached"  # payment-collection: the settlement notice's timer
ORDER_PARK = "FollowUpDue"  # the follow-up visit's timer: waits for the engine clock
TICKET_PARK = "RevisitDue"  # the revisit's timer
SHANGHAI = ZoneInfo("Asia/Shanghai")
RETRY_STATUS = {500, 502, 503, 504}
STEP_ERRORS = (EngineUnreachable, EngineRejected, httpx.HTTPError, RuntimeError, KeyError)


@dataclass
class FaultOptions:
    orders: int = 6
    tickets: int = 3
    seed: int = 1
    faults: tuple[str, ...] = FAULT_KINDS
    engine_restarts: int = 20
    work_dir: Path | None = None  # default: a fresh temporary folder, removed afterwards unless kept
    keep: bool = False
    output: Path = ROOT / "test-artifacts" / "faults.json"
    timeout_s: float = 1800  # for each driving phase

    @classmethod
    def short(cls, **overrides: Any) -> FaultOptions:
        """The variant of the test command: a small batch, every fault once, a few engine restarts."""
        values: dict[str, Any] = {"orders": 3, "tickets": 2, "engine_restarts": 2, "timeout_s": 900}
        values.update(overrides)
        return cls(**values)


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class FaultResult:
    checks: list[Check] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    redeliveries_absorbed: int = 0
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def check(self, name: str, passed: bool, detail: str = "") -> None:
        self.checks.append(Check(name, bool(passed), detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "checks": [asdict(c) for c in self.checks],
            "injected": dict(self.injected),
            "redeliveries_absorbed": self.redeliveries_absorbed,
            "figures": self.figures,
        }


# --- the API's clients: one place, with credentials -------------------------------------------


def api_credentials() -> tuple[str, str]:
    """Who the suite is towards the API: the system user (HTTP Basic), password from the environment."""
    return identity.credentials("doorflow")


class ResilientApi(httpx.Client):
    """An API client that waits out faults: connection errors and 5xx are retried (a POST keeps its
    ``Idempotency-Key`` across retries, so a creation is never made twice); ``stats`` counts them."""

    def __init__(self, base_url: str, stats: Counter[str], patience_s: float = 300) -> None:
        super().__init__(base_url=base_url, auth=api_credentials(), timeout=30)
        self.stats, self.patience_s = stats, patience_s

    def request(self, method: str, url: Any, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if method.upper() == "POST":
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        deadline = time.monotonic() + self.patience_s
        delay = 0.5
        while True:
            try:
                response = super().request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                self.stats["api unreachable"] += 1
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{method} {url}: the API stayed unreachable: {exc}") from exc
            else:
                if response.headers.get("Idempotent-Replayed") == "true":
                    self.stats["api replayed answers"] += 1
                if response.status_code not in RETRY_STATUS or time.monotonic() > deadline:
                    return response
                self.stats[f"api {response.status_code}"] += 1
                with contextlib.suppress(ValueError):
                    delay = min(float(response.headers.get("Retry-After", delay)), 2.0)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def api_client(base_url: str, stats: Counter[str]) -> ResilientApi:
    return ResilientApi(base_url, stats)


# --- the load balancer in front of the cluster (and the switch that cuts the engine off) -------


class EngineForwarder:
    """A loopback TCP forwarder to the first engine node that accepts; ``cut()`` refuses every
    connection and drops the open ones: for the API, the engine is unreachable."""

    def __init__(self, upstreams: list[int]) -> None:
        self.upstreams = upstreams
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.refused = 0
        self._cut = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                self.refused += 1
                client.close()
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        for port in self.upstreams:
            with contextlib.suppress(OSError):
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
        if upstream is None:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._open.update({client, upstream})
        back = threading.Thread(target=self._pump, args=(upstream, client), daemon=True)
        back.start()
        self._pump(client, upstream)
        back.join()
        with self._lock:
            self._open.difference_update({client, upstream})

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def _drop_open(self) -> None:
        with self._lock:
            for s in list(self._open):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self._cut.set()
        self._drop_open()

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self._drop_open()


# --- the cases: an order or a ticket with the staff driving it --------------------------------


@dataclass
class Case:
    kind: str  # "order" | "ticket"
    number: str
    id: int
    root: str
    staff: SimulatedStaff
    park_at: str
    parked_at: float | None = None
    finished_at: float | None = None

    def step(self, history: EngineHistory, stats: Counter[str], finish: bool) -> bool:
        """One round of work; True once the case is parked (or, with ``finish``, completed)."""
        try:
            if finish:
                if self.finished_at is None and history.instance_state(self.root) == "COMPLETED":
                    self.finished_at = time.monotonic()
                if self.finished_at is not None:
                    return True
            elif self.parked_at is None and active(history, self.root, self.park_at):
                self.parked_at = time.monotonic()
            if self.parked_at is not None and not finish:
                return True
            self.staff.step(self.root)
        except STEP_ERRORS as exc:
            stats[f"step retried ({type(exc).__name__})"] += 1
        return False


class Suite:
    def __init__(self, options: FaultOptions, say: Say) -> None:
        self.options, self.say = options, say
        self.rng = random.Random(options.seed)
        self.result = FaultResult()
        self.stats: Counter[str] = Counter()
        self.cases: list[Case] = []
        self.wave2_keys: list[str] = []
        self.timeline: list[dict[str, Any]] = []
        self.started = time.monotonic()

    # -- infrastructure ------------------------------------------------------------------------
    def note(self, fault: str, detail: str) -> None:
        self.result.injected[fault] += 1
        at = round(time.monotonic() - self.started, 1)
        self.timeline.append({"at_s": at, "fault": fault, "detail": detail})
        self.say(f"fault {fault}: {detail}")

    @contextlib.contextmanager
    def stack(self) -> Iterator[None]:
        opts = self.options
        work = opts.work_dir or Path(tempfile.mkdtemp(prefix="doorflow-faults-"))
        work.mkdir(parents=True, exist_ok=True)
        work.chmod(0o755)  # the embedded servers run as their own user when we are root
        self.work = work
        with contextlib.ExitStack() as cleanup:
            if opts.work_dir is None and not opts.keep:
                cleanup.callback(shutil.rmtree, work, ignore_errors=True)
            self.say(f"stack: two embedded PostgreSQL servers under {work} …")
            self.store_dir, engine_pg = work / "store-pg", work / "engine-pg"
            self.db_url = start_embedded_postgres(self.store_dir)
            cleanup.callback(stop_embedded_postgres, self.store_dir)
            engine_server = start_embedded_postgres(engine_pg)
            cleanup.callback(stop_embedded_postgres, engine_pg)
            migrate(self.db_url)
            self.sessions: sessionmaker[Session] = make_sessionmaker(make_engine(self.db_url))
            logs = work / "logs"
            self.mail_dir = work / "mail"
            smtp_port = stack.free_port()
            sink = mailsink.start(smtp_port, self.mail_dir, stack.child_env(self.db_url, "", 0), logs)
            cleanup.callback(sink.stop)
            mail_env = {
                "DOORFLOW_SMTP_HOST": "127.0.0.1",
                "DOORFLOW_SMTP_PORT": str(smtp_port),
                "DOORFLOW_WORKER_HEARTBEAT_INTERVAL_S": "2",
            }
            self.cluster: Cluster = cleanup.enter_context(
                running_cluster(
                    self.db_url,
                    work,
                    self.say,
                    engine_server_url=engine_server,
                    clock_control=True,
                    worker_env=mail_env,
                )
            )
            self.forwarder = EngineForwarder([self.cluster.a.cfg.port, self.cluster.b.cfg.port])
            cleanup.callback(self.forwarder.close)
            api_port = stack.free_port()
            env = stack.child_env(self.db_url, self.forwarder.url, api_port) | mail_env
            self.api_proc = stack.start_api(env, api_port, logs)
            cleanup.callback(self.api_proc.stop)
            self.api_url = f"http://127.0.0.1:{api_port}"
            stack.wait_http(f"{self.api_url}/health/live", 120, self.api_proc)
            self.api = api_client(self.api_url, self.stats)
            cleanup.callback(self.api.close)
            # Staff, simulated systems and every check go through node-b: node-a is the one that dies.
            self.engine: OperatonClient = self.cluster.b.client
            self.history = EngineHistory(self.engine)
            self.result.figures["stack_up_s"] = round(time.monotonic() - self.started, 1)
            self.say(f"stack up in {self.result.figures['stack_up_s']:.0f}s (cluster {self.cluster.startup_s:.0f}s)")
            yield

    # -- business ------------------------------------------------------------------------------
    def order_extra(self, i: int) -> dict[str, Any]:
        # Some orders ask for a discount above the sales manager's threshold: the approval step runs.
        return {"requested_discount_percent": "8"} if self.rng.random() < 0.5 else {}

    def new_order(self, api: httpx.Client, i: int, key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": key} if key else None
        response = api.post("/orders", json=order_body(i, self.order_extra(i)), headers=headers)
        if response.status_code != 201:
            raise RuntimeError(f"order {i}: {response.status_code} {response.text}")
        order: dict[str, Any] = response.json()
        return order

    def add_order(self, order: dict[str, Any]) -> None:
        responders = factory_responders(self.api, order["id"])
        if not any(c.kind == "order" for c in self.cases):
            responders[PAYMENT_MESSAGE] = self.bank_after_notice(responders[PAYMENT_MESSAGE])
        staff = SimulatedStaff(self.engine, self.history, responders=responders)
        root = str(order["process_instance_id"])
        self.cases.append(Case("order", order["order_number"], order["id"], root, staff, ORDER_PARK))

    def bank_after_notice(self, pay: Responder) -> Responder:
        """The first order's customer pays its first installment only once the settlement notice has gone.

        The notice is due at ``collection_notice_time`` (09:00 factory time) on its day: run before
        that hour, the simulated bank would pay first and no e-mail would ever be sent, so the check
        that every e-mail arrives exactly once would depend on the hour of the run. Instead the bank
        waits, and while the notice's timer is still ahead the suite fires that one timer job (moving
        the whole clock would also fire unrelated timers, such as a ticket's first-contact deadline).
        """
        held: set[int] = set()

        def respond(sub: dict[str, Any]) -> bool | None:
            key = sub["variables"].get("installmentKey")
            if not key:
                return False
            installment_id = int(str(key).removeprefix("INST-"))
            if held and installment_id not in held:
                return pay(sub)
            held.add(installment_id)
            if self.notice_sent(installment_id):
                self.result.figures["notice_before_payment"] = installment_id
                return pay(sub)
            due = self.api.get(f"/installments/{installment_id}").json()["due_date"]
            notice_at = Schedule.from_settings(Settings(_env_file=None)).notice_at(date.fromisoformat(due))
            for job in self.engine.timer_jobs(sub["processInstanceId"], NOTICE_TIMER):
                if job.get("dueDate") and parse_date(job["dueDate"]) == notice_at:  # this installment's notice
                    with contextlib.suppress(*STEP_ERRORS):
                        self.engine.execute_job(job["id"])
                        self.say(f"notice timer of installment {installment_id} fired ahead of {notice_at.isoformat()}")
            return False

        return respond

    def notice_sent(self, installment_id: int) -> bool:
        with self.sessions() as s:
            sent = s.scalar(
                select(CollectionEmail.id).where(
                    CollectionEmail.installment_id == installment_id,
                    CollectionEmail.purpose == NOTICE_PURPOSE,
                    CollectionEmail.status == EmailStatus.SENT,
                )
            )
        return sent is not None

    def add_ticket(self, i: int, order: dict[str, Any]) -> None:
        _, fields = TICKETS[i % len(TICKETS)]
        body = {
            "customer_name": order["customer_name"],
            "order_number": order["order_number"],
            "product_model": "GF-960 钢质防盗门",
            "channel": ["hotline", "email", "api"][i % 3],
            **fields,
        }
        response = self.api.post("/tickets", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"ticket {i}: {response.status_code} {response.text}")
        ticket = response.json()
        number = ticket["ticket_number"]

        def feedback(_: dict[str, Any]) -> None:
            answer = self.api.post(f"/tickets/{number}/feedback", json={"satisfied": True, "comments": "已修好"})
            if answer.status_code not in (200, 409):  # 409: taken already (a retry of an answered call)
                raise RuntimeError(f"feedback {number}: {answer.status_code} {answer.text}")

        staff = SimulatedStaff(self.engine, self.history, responders={"CustomerFeedback": feedback})
        self.cases.append(Case("ticket", number, ticket["id"], ticket["process_instance_id"], staff, TICKET_PARK))

    def user_tasks_done(self) -> int:
        return sum(len(c.staff.done) for c in self.cases)

    def drive(self, until: Callable[[], bool] | None = None, finish: bool = False, timeout_s: float = 0) -> None:
        """Round-robin over every case until all are parked (``finish``: completed) or ``until()`` holds."""
        deadline = time.monotonic() + (timeout_s or self.options.timeout_s)
        while True:
            pending = [c for c in self.cases if not c.step(self.history, self.stats, finish)]
            if not pending or (until is not None and until()):
                return
            if time.monotonic() > deadline:
                where = {}
                for c in pending:
                    with contextlib.suppress(*STEP_ERRORS):
                        where[c.number] = [s.element_id for s in self.history.current_steps(c.root)]
                raise TimeoutError(f"{len(pending)} cases did not get on in time: {where}")
            time.sleep(0.3)

    def drive_some(self, user_tasks: int = 5) -> None:
        mark = self.user_tasks_done() + user_tasks
        self.drive(until=lambda: self.user_tasks_done() >= mark)

    def wait_locked(self, worker_ids: list[str], timeout_s: float = 120) -> tuple[str, list[dict[str, Any]]]:
        """Drive until one of these workers holds a task that is still running: that worker and its tasks.

        Called with the commits held: a task that committed just before the hold may still show as
        locked for a moment while its outcome is reported, so the first look waits 2 s.
        """
        time.sleep(2)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for wid in self.rng.sample(worker_ids, len(worker_ids)):
                with contextlib.suppress(*STEP_ERRORS):
                    held = locked_tasks(self.engine, wid)
                    if held:
                        return wid, held
            for case in self.cases:
                case.step(self.history, self.stats, finish=False)
            time.sleep(0.3)
        return "", []

    # -- faults ----------------------------------------------------------------------------------
    def worker_kill(self) -> None:
        nodes = {n.worker_id: n for n in self.cluster.nodes}
        with worker_commits_held(self.db_url):
            old_id, held = self.wait_locked(list(nodes))
            if not held:
                self.say(f"fault {WORKER_KILL}: no worker held a task; not injected")
                return
            victim = nodes[old_id]
            assert victim.worker is not None
            victim.worker.proc.kill()
            victim.worker.proc.wait()
        self.note(WORKER_KILL, f"SIGKILL of {victim.name}'s worker ({old_id}) holding {len(held)} tasks")
        self.result.figures.setdefault("worker_kill_tasks", []).extend(t["id"] for t in held)
        offset = victim.worker.log.stat().st_size
        victim.worker.restart()
        wait_worker_serving(victim, since=offset)

    def slow_handler(self) -> None:
        ids = [n.worker_id for n in self.cluster.nodes]
        with worker_commits_held(self.db_url):
            _, held = self.wait_locked(ids)
            if not held:
                self.say(f"fault {SLOW_HANDLER}: no task in flight; not injected")
                return
            task = held[0]
            # The handler (held at its commit) outlives its lock: the lock is ended under it.
            self.engine.call("POST", f"/external-task/{task['id']}/unlock")
            deadline = time.monotonic() + 90
            again: dict[str, Any] = {}
            while time.monotonic() < deadline:
                again = self.engine.get(f"/external-task/{task['id']}")
                if again.get("workerId"):
                    break
                for case in self.cases:  # new work wakes the workers' long polls
                    case.step(self.history, self.stats, finish=False)
                time.sleep(0.3)
        second = again.get("workerId")
        self.note(
            SLOW_HANDLER,
            f"lock of task {task['id']} ({task['topicName']}, held by {task['workerId']}) ended while its handler "
            f"ran; delivered again to {second or 'nobody'}",
        )
        self.result.figures.setdefault("slow_handler_tasks", []).append(task["id"])
        self.result.figures["slow_handler_second_delivery"] = bool(second)

    def db_restart(self) -> None:
        self.drive_some(2)
        away = restart_embedded_postgres(self.store_dir)
        self.note(DB_RESTART, f"doorflow's PostgreSQL restarted (fast shutdown), away {away:.1f}s")

    def api_restart(self) -> None:
        self.drive_some(2)
        old = self.api_proc.proc.pid
        self.api_proc.restart()
        stack.wait_http(f"{self.api_url}/health/live", 120, self.api_proc)
        self.note(API_RESTART, f"API process {old} stopped and started again ({self.api_proc.proc.pid})")

    def engine_restarts(self, times: int) -> None:
        a, b = self.cluster.nodes
        assert a.worker is not None and b.worker is not None
        pids = {n.name: n.worker.proc.pid for n in (a, b) if n.worker is not None}
        durations = []
        last_up = datetime.now(UTC)
        for i in range(1, times + 1):
            began = time.monotonic()
            for node in (a, b):  # both nodes down at once: for the workers the engine is gone
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.process.proc.pid, signal.SIGTERM)
            for node in (a, b):
                node.stop()
            for node in (a, b):
                node.start()
            for node in (a, b):
                node.wait_ready(progress=lambda _: None)
            last_up = datetime.now(UTC)
            durations.append(time.monotonic() - began)
            self.note(ENGINE_RESTARTS, f"restart {i}/{times}: both nodes stopped and started in {durations[-1]:.0f}s")
            settle = time.monotonic() + 3
            self.drive(until=lambda s=settle: time.monotonic() > s)  # type: ignore[misc]
        same = {n.name: n.worker.proc.pid for n in (a, b) if n.worker is not None}
        alive = all(n.worker is not None and n.worker.proc.poll() is None for n in (a, b))
        self.result.figures["engine_restarts"] = {
            "count": times,
            "mean_s": round(sum(durations) / max(len(durations), 1), 1),
            "worker_pids_before": pids,
            "worker_pids_after": same,
            "last_up": last_up.isoformat(),
        }
        self.restart_check = (pids == same and alive, last_up, {n.name: n.worker_id for n in (a, b)})

    def engine_unreachable(self, orders: list[int]) -> None:
        """The engine cut off from the API while the shop front sends orders; it retries with its key."""
        shop_stats: Counter[str] = Counter()
        made: list[dict[str, Any]] = []
        keys = {i: f"shop-{uuid.uuid4()}" for i in orders}
        self.wave2_keys = list(keys.values())
        self.forwarder.cut()
        shop = api_client(self.api_url, shop_stats)

        def shop_front() -> None:
            for i in orders:
                made.append(self.new_order(shop, i, keys[i]))

        thread = threading.Thread(target=shop_front, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while shop_stats["api 503"] < len(orders) and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.2)
        time.sleep(2)
        self.forwarder.restore()
        thread.join(300)
        shop.close()
        self.stats.update({f"shop front {k}": v for k, v in shop_stats.items()})
        self.note(
            ENGINE_UNREACHABLE,
            f"engine unreachable for the API while {len(orders)} orders arrived: {shop_stats['api 503']} answers 503, "
            f"{self.forwarder.refused} connections refused; every order created after the retry",
        )
        self.result.figures["shop_front_503"] = shop_stats["api 503"]
        for order in made:
            self.add_order(order)

    def node_kill(self) -> None:
        """kill -9 of the node whose worker holds tasks (the engine wakes the long polls of the node
        where a task appears, so one worker may take most of them), then that node is started again."""
        nodes = {n.worker_id: n for n in self.cluster.nodes}
        with worker_commits_held(self.db_url):
            wid, held = self.wait_locked(list(nodes))
            victim = nodes[wid] if wid else self.cluster.a
            victim.kill()
        self.note(NODE_KILL, f"kill -9 of {victim.name} while its worker held {len(held)} tasks")
        self.result.figures["node_kill_tasks"] = [t["id"] for t in held]
        self.result.figures["node_killed"] = victim.name
        victim.start()
        restarted = threading.Thread(target=lambda: victim.wait_ready(progress=lambda _: None), daemon=True)
        restarted.start()
        self.drive(until=lambda: not restarted.is_alive())
        restarted.join()
        self.say(f"{victim.name} is up again")

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> FaultResult:
        opts = self.options
        faults = set(opts.faults)
        unknown = faults - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; choose from {', '.join(FAULT_KINDS)}")
        with self.stack():
            first = max(1, math.ceil(opts.orders / 2))
            orders = [self.new_order(self.api, i) for i in range(first)]
            for order in orders:
                self.add_order(order)
            for i in range(opts.tickets):
                self.add_ticket(i, orders[i % len(orders)])
            self.say(f"wave 1: {len(orders)} orders and {opts.tickets} tickets")
            self.drive_some(4)
            for kind, inject in ((WORKER_KILL, self.worker_kill), (SLOW_HANDLER, self.slow_handler)):
                if kind in faults:
                    inject()
                    self.drive_some(4)
            if DB_RESTART in faults:
                self.db_restart()
            if API_RESTART in faults:
                self.api_restart()
            if ENGINE_RESTARTS in faults and opts.engine_restarts > 0:
                self.engine_restarts(opts.engine_restarts)
            rest = list(range(first, opts.orders))
            if ENGINE_UNREACHABLE in faults and rest:
                self.engine_unreachable(rest)
            else:
                for i in rest:
                    self.add_order(self.new_order(self.api, i))
            self.drive_some(4)
            if NODE_KILL in faults:
                self.node_kill()
            self.say("driving every case to its last wait …")
            self.drive()
            self.move_clock_and_finish()
            self.history.wait_for(lambda: quiet(self.engine), 180, "a quiet cluster")
            self.verify()
        return self.result

    def move_clock_and_finish(self) -> None:
        settings = Settings(_env_file=None)
        days = int(re.fullmatch(r"P(\d+)D", settings.follow_up_delay).group(1))  # type: ignore[union-attr]
        target = datetime.now(UTC) + timedelta(days=days, hours=2)
        for case in self.cases:
            if case.kind == "ticket":
                due = self.api.get(f"/tickets/{case.number}").json()["revisit_due_on"]
                revisit = datetime.fromisoformat(due).replace(hour=10, tzinfo=SHANGHAI)
                target = max(target, revisit + timedelta(hours=1))
        epoch = int(target.timestamp() * 1000)
        self.say(f"moving the engine clock of both nodes to {target.isoformat()} (follow-up visits, revisits)")
        try:
            for node in self.cluster.nodes:
                node.client.pin_clock(epoch)
            self.drive(finish=True)
        finally:
            for node in self.cluster.nodes:
                with contextlib.suppress(*STEP_ERRORS):
                    node.client.reset_clock()
        self.result.figures["clock_moved_to"] = target.isoformat()

    # -- checks ----------------------------------------------------------------------------------
    def verify(self) -> None:
        r, engine = self.result, self.engine
        # Final states, in the store (through the API) and in the engine.
        wrong = []
        for case in self.cases:
            path = f"/orders/{case.id}" if case.kind == "order" else f"/tickets/{case.number}"
            status = self.api.get(path).json()["status"]
            want = ORDER_DONE if case.kind == "order" else TICKET_DONE
            tree = self.history.instance_tree(case.root)
            states = {self.history.instance_state(pid) for pid in tree}
            if status != want or states != {"COMPLETED"}:
                wrong.append(f"{case.number}: {status}, engine {sorted(map(str, states))}")
        orders = [c for c in self.cases if c.kind == "order"]
        tickets = [c for c in self.cases if c.kind == "ticket"]
        r.check(
            "every order completed and every ticket closed",
            not wrong and len(orders) == self.options.orders and len(tickets) == self.options.tickets,
            "; ".join(wrong) or f"{len(orders)} orders completed, {len(tickets)} tickets closed",
        )

        # The engine completed each external task once; each has one effect record.
        logs = engine.get("/history/external-task-log", successLog="true", maxResults=1_000_000)
        completions = Counter(row["externalTaskId"] for row in logs)
        with self.sessions() as s:
            recorded = set(s.scalars(select(ProcessedTask.task_id).where(ProcessedTask.task_id.in_(completions))))
        missing = set(completions) - recorded
        r.check(
            "each completed external task has exactly one effect record",
            set(completions.values()) <= {1} and not missing,
            f"{len(completions)} tasks completed, {len(recorded)} records; without a record: {sorted(missing)[:5]}",
        )
        self.check_effects()

        # Incidents: none open; every one ever raised listed with its message.
        open_incidents = engine.get("/incident")
        ever = engine.get("/history/incident")
        listed = [f"{i['activityId']}: {i['incidentMessage']}" for i in ever]
        r.check("no open incident", not open_incidents, "; ".join(listed) or "no incident was ever raised")
        r.figures["incidents"] = listed

        # Redeliveries absorbed by the processed-task record, from every worker log (all processes).
        logs_text = "".join(self.cluster.worker_log(n) for n in self.cluster.nodes)
        done_again = already_done_ids(logs_text)
        concurrent = concurrent_done_ids(logs_text)
        r.redeliveries_absorbed = len(done_again) + len(concurrent)
        r.figures["redeliveries"] = {
            "already_done": len(done_again),
            "concurrent_delivery": len(concurrent),
            "unreported_after_node_kill": len(unreported_ids(logs_text)),
        }
        slow = set(r.figures.get("slow_handler_tasks", []))
        if SLOW_HANDLER in self.options.faults:
            r.check(
                "the slow handler's second delivery changed nothing",
                bool(slow) and slow <= (done_again | concurrent) and slow <= set(completions),
                f"task(s) {sorted(slow)} absorbed: {sorted(slow & (done_again | concurrent))}",
            )
        node_kill = set(r.figures.get("node_kill_tasks", []))
        if NODE_KILL in self.options.faults:
            r.check(
                "the killed node's in-flight tasks were completed after the kill",
                bool(node_kill) and node_kill <= set(completions),
                f"{len(node_kill)} tasks, {len(node_kill & (done_again | concurrent))} found done already",
            )
        killed = set(r.figures.get("worker_kill_tasks", []))
        if WORKER_KILL in self.options.faults:
            r.check(
                "the killed worker's tasks were run again and completed",
                bool(killed) and killed <= set(completions),
                f"{len(killed)} tasks",
            )
        if ENGINE_RESTARTS in self.options.faults and self.options.engine_restarts > 0:
            self.check_restarts(logs)
        if ENGINE_UNREACHABLE in self.options.faults:
            r.check(
                "orders sent while the engine was unreachable were created once each",
                r.figures.get("shop_front_503", 0) >= 1 and self.wave2_created_once(),
                f"{r.figures.get('shop_front_503', 0)} answers 503 to the shop front",
            )
        for kind in self.options.faults:
            if kind == ENGINE_RESTARTS and self.options.engine_restarts == 0:
                continue
            r.check(f"fault injected: {kind}", r.injected[kind] >= 1, f"{r.injected[kind]} times")
        r.figures["api_client"] = dict(self.stats)
        r.figures["timeline"] = self.timeline
        r.figures["user_tasks"] = self.user_tasks_done()
        r.figures["external_tasks"] = len(completions)
        r.figures["wall_s"] = round(time.monotonic() - self.started, 1)

    def wave2_created_once(self) -> bool:
        with self.sessions() as s:
            rows = s.execute(
                text("SELECT count(*) FROM api_idempotency_keys WHERE key = ANY(:keys)"), {"keys": self.wave2_keys}
            ).scalar()
        return rows == len(self.wave2_keys) and self.options.orders == len([c for c in self.cases if c.kind == "order"])

    def check_restarts(self, logs: list[dict[str, Any]]) -> None:
        r = self.result
        same, last_up, ids = self.restart_check
        after = Counter(row["workerId"] for row in logs if parse_date(row["timestamp"]) > last_up)
        with self.sessions() as s:
            seen = {
                wid: s.execute(
                    text("SELECT engine_seen_at FROM worker_heartbeats WHERE worker_id = :w"), {"w": wid}
                ).scalar()
                for wid in ids.values()
            }
        # Each worker's poll loop reached the engine again after the last restart (its heartbeat says so),
        # and the workers together went on completing tasks. Which worker gets a task is the engine's choice
        # (one short run split them 0 to 76), so a worker without a task after the restart is not a failure.
        reached = {w: t is not None and t.astimezone(UTC) > last_up for w, t in seen.items()}
        completed = {w: after[w] for w in ids.values()}
        r.figures["engine_restarts"]["completed_after_last_restart"] = completed
        r.check(
            f"workers survived {self.options.engine_restarts} engine restarts (same processes, still working)",
            same and sum(completed.values()) >= 1 and all(reached.values()),
            f"tasks completed after the last restart by worker: {completed}; reached the engine after it: {reached}",
        )

    def check_effects(self) -> None:
        r = self.result
        orders = [c for c in self.cases if c.kind == "order"]
        order_ids = [c.id for c in orders]
        problems: list[str] = []
        with self.sessions() as s:
            per_order = {c.number: business_effects(s, c.id) for c in orders}
            for number, effects in per_order.items():
                for key in ("audit order order.registered", "contract versions", "handover sheets"):
                    if effects[key] != 1:
                        problems.append(f"{number}: {key} = {effects[key]}")
            for table in (Shipment, Acceptance, FollowUpVisit):
                counts = Counter(s.scalars(select(table.order_id).where(table.order_id.in_(order_ids))))
                for oid in order_ids:
                    if counts[oid] != 1:
                        problems.append(f"order {oid}: {table.__tablename__} = {counts[oid]}")
            # Documents: one version of each per subject (a re-rendered document would be a second).
            docs = s.execute(
                text(
                    "SELECT subject, kind, count(*) FROM documents WHERE order_id = ANY(:ids) "
                    "GROUP BY subject, kind HAVING count(*) > 1"
                ),
                {"ids": order_ids},
            ).all()
            problems += [f"document {d[0]} {d[1]} × {d[2]}" for d in docs]
            n_docs = s.execute(text("SELECT count(*) FROM documents")).scalar()
            # Audit rows: no fact recorded twice (same entity, action, before and after).
            dup_audit = s.execute(
                text(
                    "SELECT entity, entity_id, action, count(*) FROM audit_log "
                    "GROUP BY entity, entity_id, action, before::text, after::text HAVING count(*) > 1"
                )
            ).all()
            problems += [f"audit {a[0]} {a[1]} {a[2]} × {a[3]}" for a in dup_audit]
            n_audit = s.execute(text("SELECT count(*) FROM audit_log")).scalar()
            dup_events = s.execute(
                text(
                    "SELECT ticket_id, kind, count(*) FROM service_ticket_events "
                    "GROUP BY ticket_id, kind, note, data::text HAVING count(*) > 1"
                )
            ).all()
            problems += [f"ticket {e[0]} event {e[1]} × {e[2]}" for e in dup_events]
            # Payments: each installment paid once, in full.
            installments = list(s.scalars(select(Installment).where(Installment.order_id.in_(order_ids))))
            payments = Counter(s.scalars(select(Payment.installment_id)))
            for inst in installments:
                if payments[inst.id] != 1 or inst.balance != 0:
                    problems.append(f"installment {inst.id}: {payments[inst.id]} payments, balance {inst.balance}")
            # Stock moves: an allocation and a goods receipt happen once.
            dup_alloc = s.execute(
                text(
                    "SELECT order_id, material_id, source, count(*) FROM material_allocations "
                    "GROUP BY order_id, material_id, source HAVING count(*) > 1"
                )
            ).all()
            problems += [f"allocation {a[0]} {a[1]} {a[2]} × {a[3]}" for a in dup_alloc]
            dup_receipts = s.execute(
                text("SELECT purchase_order_id, count(*) FROM goods_receipts GROUP BY 1 HAVING count(*) > 1")
            ).all()
            problems += [f"goods receipt of purchase order {g[0]} × {g[1]}" for g in dup_receipts]
            negative = s.execute(text("SELECT code FROM materials WHERE on_hand < 0")).scalars().all()
            problems += [f"material {m} below zero" for m in negative]
            n_alloc = s.execute(text("SELECT count(*) FROM material_allocations")).scalar()
            n_receipts = s.execute(text("SELECT count(*) FROM goods_receipts")).scalar()
            # E-mails: each one recorded once, and each sent one received once by the sink.
            mails = list(s.scalars(select(CollectionEmail)))
            recorded = Counter((m.installment_id, m.purpose) for m in mails)
            problems += [f"e-mail {k} recorded × {n}" for k, n in recorded.items() if n > 1]
            sent_ids = {m.message_id.strip("<>") for m in mails if m.status == "sent" and m.message_id}
        received = Counter(self.received_message_ids())
        problems += [f"e-mail {mid} received × {n}" for mid, n in received.items() if n != 1]
        problems += [f"e-mail {mid} sent but not received" for mid in sent_ids - set(received)]
        problems += [f"e-mail {mid} received but not recorded as sent" for mid in set(received) - sent_ids]
        reference = per_order[orders[0].number] if orders else Counter()
        r.figures["effects"] = {
            "documents": n_docs,
            "audit_rows": n_audit,
            "payments": sum(payments.values()),
            "installments": len(installments),
            "stock_allocations": n_alloc,
            "goods_receipts": n_receipts,
            "emails_recorded": len(mails),
            "emails_received": sum(received.values()),
            "first_order": dict(sorted(reference.items())),
        }
        r.check(
            "every business effect exactly once (documents, e-mails, payments, stock moves, audit rows)",
            not problems and sum(received.values()) >= 1,
            "; ".join(problems[:20])
            or f"{n_docs} documents, {sum(received.values())} e-mails, "
            f"{sum(payments.values())} payments, {n_alloc} allocations, {n_receipts} receipts, {n_audit} audit rows",
        )

    def received_message_ids(self) -> list[str]:
        parser = email.parser.BytesParser()
        ids = []
        for path in sorted(self.mail_dir.glob("*.eml")):
            with path.open("rb") as handle:
                message = parser.parse(handle, headersonly=True)
            ids.append(str(message.get("Message-ID", "")).strip().strip("<>"))
        return ids


def report(result: FaultResult, say: Say) -> None:
    for check in result.checks:
        say(f"{'PASS' if check.passed else 'FAIL'}  {check.name}: {check.detail}")
    say(f"faults injected: {dict(result.injected)}")
    say(f"redeliveries absorbed (processed-task record hits): {result.redeliveries_absorbed}")
    figures = result.figures
    say(f"effects: {figures.get('effects')}")
    say(f"API client retries: {figures.get('api_client')}")
    say(f"wall time {figures.get('wall_s')}s; {figures.get('user_tasks')} user tasks, {figures.get('external_tasks')} "
        f"external tasks")  # fmt: skip
    say("RESULT: " + ("all checks passed" if result.passed else "FAILED"))


def run(options: FaultOptions, say: Say = print) -> FaultResult:
    """Run the suite, print the checks and write the JSON; the result says whether every check passed."""
    suite = Suite(options, say)
    try:
        result = suite.run()
    except Exception as exc:
        suite.result.check("the run finished", False, f"{type(exc).__name__}: {exc}")
        suite.result.figures["timeline"] = suite.timeline
        result = suite.result
    result.figures["options"] = {
        "orders": options.orders,
        "tickets": options.tickets,
        "seed": options.seed,
        "faults": list(options.faults),
        "engine_restarts": options.engine_restarts,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=2, default=str) + "\n")
    report(result, say)
    say(f"figures written to {options.output}")
    return result
