"""A thin external-task client for Operaton on httpx: the only worker code that knows the engine's REST API.

Why our own (~200 lines) instead of a PyPI client: the sync clients open a connection per call and
sleep minutes after a handler error, ``operaton-tasks`` turns every handler error into an incident at
once and unlocks other replicas' tasks at start-up (see ENGINE-NOTES). This one long-polls once for
every topic, runs handlers (sync SQLAlchemy code) in threads with bounded concurrency, extends the
lock of a handler that runs long, reports decreasing retries with exponential back-off, and reconnects
with back-off when the engine is down or restarts: it never dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from doorflow.operaton import decode, encode
from workers.runtime import Outcome

log = logging.getLogger("doorflow.workers")
# Operaton's answer for a task of a suspended instance (ENGINE-03043 "ExternalTask with id … is suspended").
SUSPENDED = "is suspended"


@dataclass(frozen=True)
class LockedTask:
    id: str
    topic: str
    process_instance_id: str
    element_id: str
    business_key: str | None
    retries: int | None
    variables: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LockedTask:
        """One task as ``fetchAndLock`` answers it."""
        return cls(
            id=row["id"],
            topic=row["topicName"],
            process_instance_id=row.get("processInstanceId") or "",
            element_id=row.get("activityId") or "",
            business_key=row.get("businessKey"),
            retries=row.get("retries"),
            variables=decode(row.get("variables")),
        )


# Runs one task (in a thread) and says what to report.
Execute = Callable[[LockedTask], Outcome]
# Records that this process's poll loop is alive (in a thread; a blocking database write).
Beat = Callable[[bool], None]  # called with: the last fetch reached the engine


@dataclass
class ClientConfig:
    base_url: str
    username: str
    password: str
    topics: list[str]
    # Per topic, the only variables fetched with its tasks (the handler's declared inputs); a topic not
    # named here fetches every variable in scope.
    variables: dict[str, list[str]] = field(default_factory=dict)
    worker_id: str = ""
    max_tasks: int = 50
    concurrency: int = 8
    lock_ms: int = 30_000
    long_poll_ms: int = 20_000
    reconnect_max_s: float = 30.0
    heartbeat_interval_s: float = 5.0

    def __post_init__(self) -> None:
        if not self.worker_id:
            # Unique per process: a restarted replica must never be taken for another one.
            self.worker_id = f"doorflow-{socket.gethostname()}-{os.getpid()}"


class ExternalTaskClient:
    def __init__(self, cfg: ClientConfig, execute: Execute, beat: Beat | None = None) -> None:
        self.cfg = cfg
        self.execute = execute
        self.beat = beat
        self._last_beat: float | None = None
        self._engine_reached = False
        self._stop = asyncio.Event()
        self._slots = asyncio.Semaphore(cfg.concurrency)
        self._running: set[asyncio.Task[None]] = set()
        timeout = httpx.Timeout(10.0, read=cfg.long_poll_ms / 1000 + 10)
        self._http = httpx.AsyncClient(
            base_url=cfg.base_url.rstrip("/") + "/engine-rest",
            auth=httpx.BasicAuth(cfg.username, cfg.password) if cfg.username else None,
            timeout=timeout,
            limits=httpx.Limits(max_keepalive_connections=cfg.concurrency + 2),
        )

    def stop(self) -> None:
        self._stop.set()

    async def serve(self) -> None:
        """Fetch and run tasks until stopped; engine outages are waited out with back-off."""
        delay = 1.0
        try:
            while not self._stop.is_set():
                await self._heartbeat()
                free = self._free_slots()
                if free == 0:
                    await asyncio.sleep(0.05)
                    continue
                try:
                    tasks = await self._fetch_unless_stopped(min(free, self.cfg.max_tasks))
                    delay = 1.0
                    self._engine_reached = True
                except (httpx.HTTPError, EngineAnswer) as exc:
                    self._engine_reached = False
                    log.warning("engine not reachable for fetching tasks (%s); retrying in %.0fs", exc, delay)
                    await self._sleep(delay)
                    delay = min(delay * 2, self.cfg.reconnect_max_s)
                    continue
                for task in tasks:
                    await self._slots.acquire()
                    job = asyncio.create_task(self._run(task))
                    self._running.add(job)
                    job.add_done_callback(self._running.discard)
            if self._running:
                await asyncio.wait(self._running, timeout=30)
        finally:
            await self._http.aclose()

    async def _heartbeat(self) -> None:
        """Beat from the poll loop itself: a loop that hangs or dies stops beating, and /health sees it."""
        loop = asyncio.get_running_loop()
        if self.beat is None or (
            self._last_beat is not None and loop.time() - self._last_beat < self.cfg.heartbeat_interval_s
        ):
            return
        self._last_beat = loop.time()
        try:
            await asyncio.to_thread(self.beat, self._engine_reached)
        except Exception as exc:  # the database may be down; the tasks' own transactions will say so
            log.warning("could not write the worker heartbeat: %s", exc)

    def _free_slots(self) -> int:
        return self.cfg.concurrency - len(self._running)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self._http.post(path, json=body)
        if response.status_code >= 400:
            raise EngineAnswer(response.status_code, response.text[:500])
        return response.json() if response.content else None

    async def _fetch_unless_stopped(self, max_tasks: int) -> list[LockedTask]:
        """One long poll, abandoned when the client is stopped (a shutdown does not wait out the poll).

        Tasks the engine locked for an abandoned poll are handed out again when their lock ends.
        """
        fetch = asyncio.create_task(self._fetch(max_tasks))
        stopped = asyncio.create_task(self._stop.wait())
        await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError, EngineAnswer):
                await fetch
            return []
        return fetch.result()

    async def _fetch(self, max_tasks: int) -> list[LockedTask]:
        body = {
            "workerId": self.cfg.worker_id,
            "maxTasks": max_tasks,
            "usePriority": True,
            "asyncResponseTimeout": self.cfg.long_poll_ms,
            "topics": [self._topic(t) for t in self.cfg.topics],
        }
        rows = await self._post("/external-task/fetchAndLock", body)
        return [LockedTask.from_row(row) for row in rows or []]

    def _topic(self, topic: str) -> dict[str, Any]:
        """One topic of the fetch: its lock, and only the variables its handler declares (not the whole scope)."""
        instruction: dict[str, Any] = {"topicName": topic, "lockDuration": self.cfg.lock_ms}
        if topic in self.cfg.variables:
            instruction["variables"] = list(self.cfg.variables[topic])
        return instruction

    async def _run(self, task: LockedTask) -> None:
        try:
            keep_locked = asyncio.create_task(self._extend_lock_while_running(task))
            try:
                outcome = await asyncio.to_thread(self.execute, task)
            finally:
                keep_locked.cancel()
            await self._report(task, outcome)
        except Exception:  # a worker never dies on one task
            log.exception(
                "task %s (%s): could not be run or reported; the engine hands it out again", task.id, task.topic
            )
        finally:
            self._slots.release()

    async def _extend_lock_while_running(self, task: LockedTask) -> None:
        while True:
            await asyncio.sleep(self.cfg.lock_ms / 2000)
            try:
                body = {"workerId": self.cfg.worker_id, "newDuration": self.cfg.lock_ms}
                await self._post(f"/external-task/{task.id}/extendLock", body)
            except (httpx.HTTPError, EngineAnswer) as exc:
                log.warning("task %s: could not extend its lock: %s", task.id, exc)

    async def _report(self, task: LockedTask, outcome: Outcome) -> None:
        """Tell the engine the outcome, retrying while it is unreachable for about one lock period."""
        base: dict[str, Any] = {"workerId": self.cfg.worker_id}
        if outcome.kind == "complete":
            path, body = f"/external-task/{task.id}/complete", {**base, "variables": encode(outcome.variables)}
        elif outcome.kind == "bpmn_error":
            path = f"/external-task/{task.id}/bpmnError"
            body = {
                **base,
                "errorCode": outcome.error_code,
                "errorMessage": outcome.message,
                "variables": encode(outcome.variables),
            }
        else:
            path = f"/external-task/{task.id}/failure"
            body = {
                **base,
                "errorMessage": outcome.message[:600],
                "errorDetails": outcome.message,
                "retries": outcome.retries,
                "retryTimeout": outcome.retry_timeout_ms,
            }
        await _retrying(lambda: self._post(path, body), self.cfg.lock_ms / 1000, task, self._stop)


async def _retrying(call: Callable[[], Awaitable[Any]], within_s: float, task: LockedTask, stop: asyncio.Event) -> None:
    delay, waited = 0.5, 0.0
    while True:
        try:
            await call()
            return
        except EngineAnswer as exc:
            if exc.status == 404:
                # The task is gone: cancelled by a boundary event, or completed by a re-delivery. Nothing to do.
                log.info("task %s is no longer open (%s); its outcome is dropped", task.id, exc.text[:200])
                return
            if exc.status == 400 and SUSPENDED in exc.text:
                # Its order was put on hold while the handler ran: the effect is committed with its task
                # record, and the engine hands the task out again once the order is resumed (the
                # re-delivery answers the stored result).
                log.info("task %s is suspended (order on hold); it is reported again after the resume", task.id)
                return
            if exc.status < 500:
                raise
            error: Exception = exc
        except httpx.HTTPError as exc:
            error = exc
        if waited >= within_s or stop.is_set():
            log.warning("task %s: gave up reporting (%s); the engine hands it out again after its lock", task.id, error)
            return
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 5.0)


class EngineAnswer(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"engine answered {status}: {text}")
        self.status = status
        self.text = text
