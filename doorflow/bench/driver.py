"""Drives orders through their whole lifecycle for the benchmark: simulated staff, systems and clock.

One loop for every order at once (light on a 2-core machine): each round reads every open user task
and every waiting message from the engine (a few REST calls in all, not a few per order), completes
the tasks with the happy-path answers of ``doorflow/staff_answers`` and lets the simulated warehouse,
logistics and bank answer the waits, on a small thread pool. Timers: when orders wait for their
follow-up visit (``FollowUpDue``), the engine clock is moved forward past the latest such timer (every
node's clock, never backwards); workers and the job executor hold locks longer than any move.

``real`` mode takes orders in through doorflow's API and answers waits through it, as in production;
``noop`` mode (no-op workers, no store) starts the instances on the engine and triggers the waits there.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from doorflow.demo import order_body
from doorflow.history import UserTask
from doorflow.operaton import EngineRejected, OperatonClient, decode, format_date, parse_date
from doorflow.simulated_systems import factory_responders
from doorflow.staff import Answer, Responder, default_answers

log = logging.getLogger("doorflow.bench")

PROCESS = "door-order"
TIMER_ELEMENT = "FollowUpDue"
NOOP_MESSAGES = ("GoodsReceived", "ShipmentDelivered", "PaymentReceived", "DepositReceived")
REAL_MESSAGES = ("GoodsReceived", "ShipmentDelivered", "PaymentReceived")  # DepositReceived: the outbox sends it


class Clock:
    """The engine clock of every node, moved forward only; tracks its offset from the wall clock."""

    def __init__(self, engines: list[OperatonClient]) -> None:
        self.engines = engines
        self.offset_ms = 0
        self.moves = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.offset_ms

    def now_text(self) -> str:
        """The engine's time now, as the REST API takes it in date filters."""
        return format_date(datetime.fromtimestamp(self.now_ms() / 1000, tz=UTC))

    def move_to(self, epoch_ms: int) -> bool:
        with self._lock:
            if epoch_ms <= self.now_ms():
                return False
            for engine in self.engines:
                engine.pin_clock(epoch_ms)
            self.offset_ms = epoch_ms - int(time.time() * 1000)
            self.moves += 1
            return True

    def sync(self, engine: OperatonClient) -> None:
        """A node that joins later gets the others' time."""
        with self._lock:
            if self.offset_ms:
                engine.pin_clock(self.now_ms())
            self.engines.append(engine)


@dataclass
class OrderRun:
    seq: int
    business_key: str = ""
    order_id: int | None = None
    root: str = ""
    created_at: float = 0.0  # time.monotonic() when it was accepted
    create_ms: float = 0.0  # how long the intake took
    done_at: float | None = None
    error: str = ""


@dataclass
class Counters:
    user_tasks: int = 0
    responses: int = 0
    task_errors: int = 0
    response_errors: int = 0
    clock_moves: int = 0
    errors: list[str] = field(default_factory=list)

    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, text: str = "") -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)
            if text and len(self.errors) < 20:
                self.errors.append(text[:400])

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "user_tasks": self.user_tasks,
                "responses": self.responses,
                "task_errors": self.task_errors,
                "response_errors": self.response_errors,
                "clock_moves": self.clock_moves,
                "errors": list(self.errors),
            }

    def note(self, text: str) -> None:
        with self.lock:
            if len(self.errors) < 20:
                self.errors.append(text[:400])


class Driver:
    def __init__(
        self,
        engines: list[OperatonClient],
        clock: Clock,
        mode: str,
        api: httpx.Client | None = None,
        threads: int = 6,
        run_id: str = "",
    ) -> None:
        if mode not in ("real", "noop"):
            raise ValueError(mode)
        if mode == "real" and api is None:
            raise ValueError("real mode needs the API client")
        self.engines, self.clock, self.mode, self.api = engines, clock, mode, api
        self._next_engine = itertools.cycle(engines)
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-staff")
        self.answers: dict[str, Answer] = default_answers()
        self.orders: list[OrderRun] = []
        self.by_key: dict[str, OrderRun] = {}
        self.counters = Counters()
        self.timers_allowed = True
        self.run_id = run_id or time.strftime("%H%M%S")
        self._submitted: set[str] = set()
        self._pending: dict[str, Future[None]] = {}  # task id → completion
        self._responded: set[str] = set()
        self._order_busy: dict[str, Future[None]] = {}
        self._pid_key: dict[str, str] = {}
        self._responders: dict[str, dict[str, Responder]] = {}
        self._seq = itertools.count(1)
        self._last_timer_look = 0.0

    def engine(self) -> OperatonClient:
        return next(self._next_engine)

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    # --- intake -------------------------------------------------------------------------------
    def submit(self) -> Future[OrderRun]:
        run = OrderRun(next(self._seq))
        self.orders.append(run)
        return self.pool.submit(self._create, run)

    def _create(self, run: OrderRun) -> OrderRun:
        started = time.monotonic()
        try:
            if self.mode == "real":
                assert self.api is not None
                body = order_body(run.seq, {"requested_delivery_date": "2099-06-30"})
                response = self.api.post("/orders", json=body)
                if response.status_code != 201:
                    raise RuntimeError(f"POST /orders → {response.status_code}: {response.text[:300]}")
                order = response.json()
                run.order_id, run.business_key = int(order["id"]), str(order["order_number"])
                run.root = str(order["process_instance_id"])
            else:
                run.business_key = f"BENCH-{self.run_id}-{run.seq:05d}"
                variables = {"orderId": run.seq, "orderNumber": run.business_key}
                run.root = self.engine().start_process(PROCESS, run.business_key, variables)
        except Exception as exc:  # counted, never fatal: the run reports what it could not do
            run.error = str(exc)
            self.counters.note(f"intake: {exc}")
        run.create_ms = (time.monotonic() - started) * 1000
        run.created_at = time.monotonic()
        if run.root:
            self.by_key[run.business_key] = run
            self._pid_key[run.root] = run.business_key
        return run

    # --- one round ----------------------------------------------------------------------------
    def in_flight(self) -> list[OrderRun]:
        return [o for o in self.orders if o.done_at is None and not o.error]

    def round(self) -> bool:
        """Look once at tasks, waits, finished instances and timers; True when something was started."""
        progressed = self._user_tasks()
        progressed |= self._messages()
        self._finished()
        if self.timers_allowed:
            self._timers()
        return progressed

    def _user_tasks(self) -> bool:
        for task_id, fut in list(self._pending.items()):
            if fut.done():
                del self._pending[task_id]
        rows = self.engine().get("/task", sortBy="created", sortOrder="asc")
        started = False
        for row in rows:
            if row["id"] in self._submitted:
                continue
            answer = self.answers.get(row["taskDefinitionKey"])
            if answer is None:
                self._submitted.add(row["id"])
                self.counters.note(f"no answer for user task {row['taskDefinitionKey']}")
                continue
            self._submitted.add(row["id"])
            self._pending[row["id"]] = self.pool.submit(self._complete, row, answer)
            started = True
        return started

    def _complete(self, row: dict[str, Any], answer: Answer) -> None:
        task = UserTask(row["id"], row["processInstanceId"], row["taskDefinitionKey"], row.get("name") or "", [], None)
        variables = answer(task) if callable(answer) else dict(answer)
        try:
            self.engine().complete_task(row["id"], variables)
            self.counters.add("user_tasks")
        except EngineRejected as exc:
            if exc.status == 404:
                return  # ended meanwhile (a boundary event)
            self.counters.add("task_errors", f"complete {row['taskDefinitionKey']}: {exc}")
            self._submitted.discard(row["id"])  # offered again next round

    def _key_of(self, pid: str) -> str | None:
        if pid not in self._pid_key:
            rows = self.engine().get("/history/process-instance", processInstanceId=pid)
            key = rows[0].get("businessKey") if rows else None
            if not key:
                return None
            self._pid_key[pid] = str(key)
        return self._pid_key[pid]

    def _messages(self) -> bool:
        names = REAL_MESSAGES if self.mode == "real" else NOOP_MESSAGES
        subs = [s for s in self.engine().get("/event-subscription", eventType="message") if s["eventName"] in names]
        by_order: dict[str, list[dict[str, Any]]] = {}
        for sub in subs:
            if sub["id"] in self._responded:
                continue
            key = self._key_of(sub["processInstanceId"])
            if key is None or key not in self.by_key:
                continue
            by_order.setdefault(key, []).append(sub)
        started = False
        for key, waiting in by_order.items():
            busy = self._order_busy.get(key)
            if busy is not None and not busy.done():
                continue  # one responder at a time per order: the warehouse receives each PO once
            self._order_busy[key] = self.pool.submit(self._respond, key, waiting)
            started = True
        return started

    def _respond(self, key: str, waiting: list[dict[str, Any]]) -> None:
        for sub in waiting:
            try:
                if self.mode == "noop":
                    path = f"/execution/{sub['executionId']}/messageSubscriptions/{sub['eventName']}/trigger"
                    self.engine().call("POST", path, json={})
                    done: bool | None = True
                else:
                    done = self._respond_real(key, sub)
                if done is not False:
                    self._responded.add(sub["id"])
                    self.counters.add("responses")
            except EngineRejected as exc:
                if exc.status == 404:
                    self._responded.add(sub["id"])  # the wait ended meanwhile
                    continue
                self.counters.add("response_errors", f"{sub['eventName']}: {exc}")
            except Exception as exc:
                self.counters.add("response_errors", f"{sub['eventName']}: {exc}")

    def _respond_real(self, key: str, sub: dict[str, Any]) -> bool | None:
        run = self.by_key[key]
        assert self.api is not None and run.order_id is not None
        responders = self._responders.get(key)
        if responders is None:
            responders = self._responders[key] = factory_responders(self.api, run.order_id)
        if sub["eventName"] == "PaymentReceived":
            try:
                local = self.engine().get(f"/execution/{sub['executionId']}/localVariables", deserializeValues="false")
            except EngineRejected:
                return True  # the round ended meanwhile
            sub = {**sub, "variables": decode(local)}
        return responders[sub["eventName"]](sub)

    def _finished(self) -> None:
        flying = [o for o in self.in_flight() if o.root]
        for chunk in range(0, len(flying), 50):
            part = flying[chunk : chunk + 50]
            ids = ",".join(o.root for o in part)
            rows = self.engine().get("/history/process-instance", processInstanceIds=ids, finished="true")
            ended = {r["id"]: r for r in rows if r.get("endTime")}
            now = time.monotonic()
            for o in part:
                if o.root in ended:
                    o.done_at = now
                    if ended[o.root].get("state") != "COMPLETED":
                        o.error = f"ended {ended[o.root].get('state')}"
                        self.counters.note(f"order {o.business_key}: {o.error}")

    def waiting_at_timer(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.engine().get("/job", timers="true", activityId=TIMER_ELEMENT)
        return rows

    def _timers(self, every_s: float = 2.0) -> None:
        now = time.monotonic()
        if now - self._last_timer_look < every_s:
            return
        self._last_timer_look = now
        jobs = self.waiting_at_timer()
        if not jobs:
            return
        due = max(parse_date(j["dueDate"]) for j in jobs if j.get("dueDate"))
        if self.clock.move_to(int(due.timestamp() * 1000) + 1000):
            self.counters.add("clock_moves")

    # --- whole phases -------------------------------------------------------------------------
    def quiet(self) -> bool:
        """Nothing left to do for staff or workers: every order waits at its timer or is done."""
        engine = self.engine()
        return (
            not self._pending
            and int(engine.get("/task/count")["count"]) == 0
            and int(engine.get("/external-task/count")["count"]) == 0
            and all(f.done() for f in self._order_busy.values())
        )

    def drive(
        self,
        total: int,
        deadline_s: float,
        window: int | None = None,
        rate_per_s: float | None = None,
        arrivals_s: float | None = None,
        on_quiet: Callable[[], None] | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        """Closed loop (``window`` orders in flight, ``total`` in all) or open loop (``rate_per_s`` for
        ``arrivals_s`` seconds); returns when every order accepted has ended, or at the deadline.

        With timers held (``timers_allowed`` False), ``on_quiet`` is called once the arrivals are over and
        every order waits at its timer; then the clock moves again and the orders finish."""
        start = time.monotonic()
        intake: list[Future[OrderRun]] = []
        next_arrival = start
        last_say = start
        arrivals_over = False
        while True:
            now = time.monotonic()
            if rate_per_s is not None and arrivals_s is not None:
                while not arrivals_over and now >= next_arrival:
                    if next_arrival - start >= arrivals_s:
                        arrivals_over = True
                        break
                    intake.append(self.submit())
                    next_arrival += 1 / rate_per_s
            elif window is not None:
                pending_intake = sum(1 for f in intake if not f.done())
                while len(self.orders) < total and len(self.in_flight()) + pending_intake < window:
                    intake.append(self.submit())
                    pending_intake += 1
                arrivals_over = len(self.orders) >= total
            progressed = False
            with contextlib.suppress(httpx.HTTPError):
                progressed = self.round()
            if arrivals_over and all(f.done() for f in intake) and not self.in_flight():
                return
            if not self.timers_allowed and arrivals_over and all(f.done() for f in intake) and self.quiet():
                if on_quiet is not None:
                    on_quiet()
                self.timers_allowed = True
            if now - start > deadline_s:
                say(f"bench: deadline of {deadline_s:.0f}s reached with {len(self.in_flight())} orders unfinished")
                return
            if now - last_say >= 15:
                done = sum(1 for o in self.orders if o.done_at is not None)
                say(f"bench:   {done}/{len(self.orders)} orders done, {len(self.in_flight())} in flight")
                last_say = now
            if not progressed:
                time.sleep(0.15)
