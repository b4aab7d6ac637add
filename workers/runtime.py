"""What every worker shares: idempotent execution, error mapping and retry back-off.

Business outcomes become BPMN errors (``BusinessError``); bad data becomes an incident at once
(retrying cannot fix it); anything else is retried with exponential back-off and becomes an
incident in Operate when the retries run out. A handler never takes the worker down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyzeebe import Job, JobController
from pyzeebe.errors import BusinessError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings
from models import jobs
from models.db import unit_of_work
from models.errors import InvalidInput
from workers.registry import TaskType

log = logging.getLogger("doorflow.workers")


@dataclass(frozen=True)
class TaskContext:
    """What a handler gets besides the variables: its one transaction, the settings and the job's identity."""

    session: Session
    settings: Settings
    job_key: int
    process_instance_key: int
    element_id: str
    actor: str  # who the audit trail names, e.g. "worker:doorflow.order.register"


Handler = Callable[[TaskContext, dict[str, Any]], dict[str, Any]]


class BadJobData(Exception):
    """The job's variables cannot be processed; retrying will not help."""


def run_once(
    factory: sessionmaker[Session],
    settings: Settings,
    task_type: TaskType,
    job: JobIdentity,
    variables: dict[str, Any],
    handler: Handler,
    business_key: str | None = None,
) -> dict[str, Any]:
    """Run ``handler`` in one transaction with the job-key record; a repeat returns the first result."""
    job_key = job.key
    try:
        with unit_of_work(factory) as session:
            earlier = jobs.previous_result(session, job_key)
            if earlier is not None:
                log.info("job %s (%s) was already done; returning its result", job_key, task_type)
                return earlier
            ctx = TaskContext(
                session=session,
                settings=settings,
                job_key=job_key,
                process_instance_key=job.process_instance_key,
                element_id=job.element_id,
                actor=f"worker:{task_type.value}",
            )
            result = handler(ctx, variables)
            jobs.remember(session, job_key, task_type, business_key, result)
            return result
    except IntegrityError:
        # A concurrent delivery of the same job committed first: its effect stands, ours is rolled back.
        with unit_of_work(factory) as session:
            earlier = jobs.previous_result(session, job_key)
        if earlier is None:
            raise
        return earlier


@dataclass(frozen=True)
class JobIdentity:
    key: int
    process_instance_key: int = 0
    element_id: str = ""


def backoff_ms(retries_before: int, total_retries: int, base_ms: int, max_ms: int) -> int:
    """Exponential back-off by failed attempt (base, 2 x base, 4 x base …), capped at ``max_ms``."""
    attempt = max(total_retries - retries_before, 0)
    return int(min(base_ms * (2**attempt), max_ms))


def make_exception_handler(
    total_retries: int, base_ms: int, max_ms: int
) -> Callable[[Exception, Job, JobController], Any]:
    async def handle(exc: Exception, job: Job, controller: JobController) -> None:
        if isinstance(exc, BusinessError):
            log.info("job %s: business error %s", job.key, exc.error_code)
            await controller.set_error_status(str(exc), error_code=exc.error_code)
        elif isinstance(exc, BadJobData | InvalidInput):
            log.warning("job %s: bad data, raising an incident: %s", job.key, exc)
            # JobController.set_failure_status always retries (retries - 1); bad data must not be
            # retried, so fail with no retries left: an incident in Operate right away.
            await controller._zeebe_adapter.fail_job(  # noqa: SLF001
                job_key=job.key, retries=0, message=f"bad job data: {exc}", retry_back_off_ms=0, variables={}
            )
        else:
            # NotFound is retried too: the API commits its row just after telling the engine (DB first,
            # engine last), so a fast worker can see the job a moment before the row is visible.
            delay = backoff_ms(job.retries, total_retries, base_ms, max_ms)
            log.exception("job %s failed (retries left %s, next in %s ms)", job.key, job.retries - 1, delay)
            await controller.set_failure_status(f"{type(exc).__name__}: {exc}", retry_back_off_ms=delay)

    return handle


def require_int(variables: dict[str, Any], name: str) -> int:
    value = variables.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadJobData(f"variable {name!r} must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError as exc:
        raise BadJobData(f"variable {name!r} must be an integer, got {value!r}") from exc
