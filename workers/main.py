"""Start every registered worker against the configured Zeebe gateway: ``python -m workers.main``."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from types import ModuleType
from typing import Any

import grpc
from pyzeebe import Job, ZeebeTaskRouter, ZeebeWorker, create_insecure_channel, create_oauth2_client_credentials_channel
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings, get_settings
from models.db import make_engine, make_sessionmaker
from workers.registry import TASKS, TaskType
from workers.runtime import JobIdentity, make_exception_handler, run_once

log = logging.getLogger("doorflow.workers")


def task_module(task_type: TaskType) -> ModuleType:
    return importlib.import_module(f"workers.tasks.{TASKS[task_type].module}")


def build_router(factory: sessionmaker[Session], settings: Settings) -> ZeebeTaskRouter:
    """Register one pyzeebe task per task type; each is a thin edge over its module's handler."""
    router = ZeebeTaskRouter()
    for task_type, spec in TASKS.items():
        module = task_module(task_type)
        on_error = make_exception_handler(spec.retries, settings.retry_backoff_base_ms, settings.retry_backoff_max_ms)
        router.task(
            task_type=task_type.value,
            exception_handler=on_error,
            variables_to_fetch=list(spec.inputs),
            timeout_ms=settings.job_timeout_ms,
        )(_edge(factory, settings, task_type, module))
    return router


def _edge(factory: sessionmaker[Session], settings: Settings, task_type: TaskType, module: ModuleType) -> Any:
    def run(job: Job, **_fetched: Any) -> dict[str, Any]:
        # pyzeebe also passes the fetched variables as keywords; job.variables has them all.
        variables = dict(job.variables)
        identity = JobIdentity(job.key, job.process_instance_key, job.element_id)
        result: dict[str, Any] = run_once(
            factory,
            settings,
            task_type,
            identity,
            variables,
            module.handle,
            business_key=module.business_key(variables),
        )
        return result

    run.__annotations__ = {"job": Job, "_fetched": Any, "return": dict}
    run.__name__ = f"task_{task_type.name.lower()}"
    return run


def make_channel(settings: Settings) -> grpc.aio.Channel:
    if settings.zeebe_client_id:
        return create_oauth2_client_credentials_channel(
            grpc_address=settings.zeebe_address,
            client_id=settings.zeebe_client_id,
            client_secret=settings.zeebe_client_secret,
            authorization_server=settings.zeebe_authorization_server_url,
            audience=settings.zeebe_token_audience or None,
        )
    return create_insecure_channel(grpc_address=settings.zeebe_address)


async def serve(settings: Settings) -> None:
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set")
    factory = make_sessionmaker(make_engine(settings.database_url))
    worker = ZeebeWorker(make_channel(settings), name=settings.worker_name, max_connection_retries=-1)
    worker.include_router(build_router(factory, settings))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.stop()))
    log.info("workers: serving %s", ", ".join(t.value for t in TASKS))
    await worker.work()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(get_settings()))


if __name__ == "__main__":
    main()
