"""Start every registered worker against the configured engine: ``python -m workers.main``.

One process runs the external-task client for every topic of the registry and the message
dispatcher, which delivers the wake-ups that the API and the workers stored in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import logging
import signal
from types import ModuleType

from sqlalchemy.orm import Session, sessionmaker

from doorflow import messages
from doorflow.operaton import OperatonClient
from doorflow.settings import Settings, get_settings
from models.db import CommitCounter, commits_for, make_engine, make_sessionmaker
from workers import noop
from workers.external import ClientConfig, Execute, ExternalTaskClient, LockedTask
from workers.registry import TASKS, TaskType
from workers.runtime import SERVICE_TASK_COMMITS, Heartbeat, Outcome, TaskIdentity, outcome_of_failure, run_once

log = logging.getLogger("doorflow.workers")
COMMITS_LOG = "store commits by purpose:"


def task_module(task_type: TaskType) -> ModuleType:
    return importlib.import_module(f"workers.tasks.{TASKS[task_type].module}")


def make_executor(factory: sessionmaker[Session], settings: Settings) -> Execute:
    """The edge of every topic: parse nothing itself, run the module's handler once, map the outcome."""
    modules = {t.value: (t, task_module(t)) for t in TASKS}

    def execute(task: LockedTask) -> Outcome:
        task_type, module = modules[task.topic]
        spec = TASKS[task_type]
        try:
            identity = TaskIdentity(task.id, task.process_instance_id, task.element_id, task.business_key)
            with commits_for(SERVICE_TASK_COMMITS):
                result = run_once(
                    factory,
                    settings,
                    task_type,
                    identity,
                    task.variables,
                    module.handle,
                    business_key=module.business_key(task.variables),
                )
            return Outcome("complete", result)
        except Exception as exc:
            outcome = outcome_of_failure(exc, task.retries, spec.retries, settings)
            if outcome.kind == "bpmn_error":
                log.info("task %s (%s): business error %s", task.id, task.topic, outcome.error_code)
            elif outcome.retries == 0:
                log.warning("task %s (%s): incident: %s", task.id, task.topic, outcome.message)
            else:
                log.exception("task %s (%s) failed; %s retries left", task.id, task.topic, outcome.retries)
            return outcome

    return execute


def make_noop_executor() -> Execute:
    """The benchmark's no-op edge (``worker_noop``): the happy path's variables at once, no store."""
    types = {t.value: t for t in TASKS}

    def execute(task: LockedTask) -> Outcome:
        return noop.outcome(types[task.topic], task)

    return execute


def log_commits_on_usr1(loop: asyncio.AbstractEventLoop, commits: CommitCounter | None) -> None:
    """``kill -USR1 <pid>`` logs the store commits of this process so far, by purpose (``./dev bench`` reads them)."""

    def report() -> None:
        log.info("%s %s", COMMITS_LOG, json.dumps(commits.snapshot() if commits is not None else {}))

    loop.add_signal_handler(signal.SIGUSR1, report)


async def serve_noop(settings: Settings, cfg: ClientConfig) -> None:
    client = ExternalTaskClient(cfg, make_noop_executor())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, client.stop)
    log_commits_on_usr1(loop, None)
    log.info("workers %s: serving %d topics with no-op handlers (benchmark)", cfg.worker_id, len(cfg.topics))
    await client.serve()


def fetched_variables() -> dict[str, list[str]]:
    """Per topic, the variables its handler reads (the registry's inputs): a task brings nothing else along."""
    return {t.value: list(spec.inputs) for t, spec in TASKS.items()}


def client_config(settings: Settings) -> ClientConfig:
    return ClientConfig(
        base_url=settings.engine_url,
        username=settings.engine_user,
        password=settings.engine_password,
        topics=[t.value for t in TASKS],
        variables=fetched_variables(),
        max_tasks=settings.worker_max_tasks,
        concurrency=settings.worker_concurrency,
        lock_ms=settings.task_lock_ms,
        long_poll_ms=settings.worker_long_poll_ms,
        heartbeat_interval_s=settings.worker_heartbeat_interval_s,
    )


async def serve(settings: Settings) -> None:
    cfg = client_config(settings)
    if settings.worker_noop:
        await serve_noop(settings, cfg)
        return
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set")
    db = make_engine(settings.database_url)
    commits = CommitCounter(db)
    factory = make_sessionmaker(db)
    heartbeat = Heartbeat(factory, cfg.worker_id)
    client = ExternalTaskClient(cfg, make_executor(factory, settings), heartbeat.beat)
    engine = OperatonClient(settings.engine_url, settings.engine_user, settings.engine_password)
    dispatcher = messages.Dispatcher(factory, engine, settings.message_retry_max_s)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def stop() -> None:
        client.stop()
        stopping.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    log_commits_on_usr1(loop, commits)
    # What is loaded by now lives as long as the process: the collector need not scan it again. A PDF's
    # layout ends in a full collection (models/documents/pdf.py), 90 ms over these objects, ~0 without.
    gc.freeze()
    log.info("workers %s: serving %d topics", cfg.worker_id, len(cfg.topics))
    try:
        await asyncio.gather(client.serve(), dispatcher.serve(stopping, settings.message_dispatch_interval_s))
    finally:
        with contextlib.suppress(Exception):  # a clean stop: gone, not stale (a crash leaves the row to go stale)
            await asyncio.to_thread(heartbeat.forget)
        engine.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(get_settings()))


if __name__ == "__main__":
    main()
