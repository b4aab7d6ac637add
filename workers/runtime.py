"""What every worker shares: idempotent execution, outcome mapping and retry back-off.

External tasks are delivered at least once. A handler's effect and the record of its task commit in
one transaction (``processed_tasks``, primary key the task id), so a repeat changes nothing and
gets back the first result. Business outcomes become BPMN errors (:class:`BusinessError`); bad data
becomes an incident at once (retrying cannot fix it); anything else is retried with exponential
back-off and becomes an incident in Cockpit when the retries run out. This module knows nothing of
the engine's REST API: :mod:`workers.external` does.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings
from models import jobs
from models.db import commits_for, unit_of_work
from models.errors import InvalidInput
from models.ops import service as ops
from workers.registry import TaskType

log = logging.getLogger("doorflow.workers")
# The purposes of a worker process's commits (models.db.commits_for), as the benchmark reports them.
SERVICE_TASK_COMMITS = "service-task"
HEARTBEAT_COMMITS = "heartbeat"


@dataclass(frozen=True)
class TaskIdentity:
    """Which external task this is: its id is stable across re-deliveries of the same task."""

    id: str
    process_instance_id: str = ""
    element_id: str = ""
    business_key: str | None = None


@dataclass(frozen=True)
class TaskContext:
    """What a handler gets besides the variables: its one transaction, the settings and the task's identity."""

    session: Session
    settings: Settings
    task_id: str
    process_instance_id: str
    element_id: str
    business_key: str | None
    actor: str  # who the audit trail names, e.g. "worker:doorflow.order.register"


Handler = Callable[[TaskContext, dict[str, Any]], dict[str, Any]]


class BadJobData(Exception):
    """The task's variables cannot be processed; retrying will not help (an incident at once)."""


class BusinessError(Exception):
    """A business outcome the diagram catches with an error boundary event (``errorCode``)."""

    def __init__(self, error_code: str, message: str = "", variables: dict[str, Any] | None = None) -> None:
        super().__init__(message or error_code)
        self.error_code = error_code
        self.variables = dict(variables or {})


def run_once(
    factory: sessionmaker[Session],
    settings: Settings,
    task_type: TaskType,
    task: TaskIdentity,
    variables: dict[str, Any],
    handler: Handler,
    business_key: str | None = None,
) -> dict[str, Any]:
    """Run ``handler`` in one transaction with the task record; a repeat returns the first result."""
    try:
        with unit_of_work(factory) as session:
            earlier = jobs.previous_result(session, task.id)
            if earlier is not None:
                log.info("task %s (%s) was already done; returning its result", task.id, task_type)
                return earlier
            ctx = TaskContext(
                session=session,
                settings=settings,
                task_id=task.id,
                process_instance_id=task.process_instance_id,
                element_id=task.element_id,
                business_key=task.business_key,
                actor=f"worker:{task_type.value}",
            )
            result = handler(ctx, variables)
            jobs.remember(session, task.id, task_type, business_key, result)
            return result
    except IntegrityError:
        # A concurrent delivery of the same task committed first: its effect stands, ours is rolled back.
        with unit_of_work(factory) as session:
            earlier = jobs.previous_result(session, task.id)
        if earlier is None:
            raise
        log.info("task %s (%s) was done by a concurrent delivery; returning its result", task.id, task_type)
        return earlier


@dataclass(frozen=True)
class Heartbeat:
    """This worker process's heartbeat row (``worker_heartbeats``), each beat in its own short transaction."""

    factory: sessionmaker[Session]
    worker_id: str
    hostname: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    def beat(self, engine_reached: bool) -> None:
        with commits_for(HEARTBEAT_COMMITS), unit_of_work(self.factory) as session:
            ops.beat(session, self.worker_id, self.hostname, self.pid, engine_reached)

    def forget(self) -> None:
        with commits_for(HEARTBEAT_COMMITS), unit_of_work(self.factory) as session:
            ops.forget(session, self.worker_id)


def backoff_ms(retries_before: int, total_retries: int, base_ms: int, max_ms: int) -> int:
    """Exponential back-off by failed attempt (base, 2 x base, 4 x base …), capped at ``max_ms``."""
    attempt = max(total_retries - retries_before, 0)
    return int(min(base_ms * (2**attempt), max_ms))


@dataclass(frozen=True)
class Outcome:
    """What to tell the engine about one task: complete, a BPMN error, or a failure with retries left."""

    kind: str  # "complete" | "bpmn_error" | "failure"
    variables: dict[str, Any]
    error_code: str = ""
    message: str = ""
    retries: int = 0
    retry_timeout_ms: int = 0


def outcome_of_failure(exc: Exception, retries_left: int | None, total_retries: int, settings: Settings) -> Outcome:
    """Map a handler's exception to what the engine is told (business error, incident now, or retry later)."""
    if isinstance(exc, BusinessError):
        return Outcome("bpmn_error", exc.variables, error_code=exc.error_code, message=str(exc))
    if isinstance(exc, BadJobData | InvalidInput):
        return Outcome("failure", {}, message=f"bad task data: {exc}", retries=0)
    before = total_retries if retries_left is None else retries_left
    delay = backoff_ms(before, total_retries, settings.retry_backoff_base_ms, settings.retry_backoff_max_ms)
    return Outcome(
        "failure", {}, message=f"{type(exc).__name__}: {exc}", retries=max(before - 1, 0), retry_timeout_ms=delay
    )


def require_int(variables: dict[str, Any], name: str) -> int:
    value = variables.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadJobData(f"variable {name!r} must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError as exc:
        raise BadJobData(f"variable {name!r} must be an integer, got {value!r}") from exc
