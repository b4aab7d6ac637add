"""Activate a job by hand, as a second worker would, to make the engine hand the same job out twice."""

from __future__ import annotations

import time
from collections.abc import Callable

from pyzeebe import Job
from pyzeebe.grpc_internals.zeebe_adapter import ZeebeAdapter

from workers.registry import TaskType


async def activate_job(
    adapter: ZeebeAdapter, task_type: TaskType, timeout_ms: int, ours: Callable[[Job], bool], within_s: float = 30
) -> Job:
    """The first job of ``task_type`` for which ``ours`` holds; jobs of other instances (left by earlier
    tests) are skipped and return to the engine when their ``timeout_ms`` ends."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        jobs = adapter.activate_jobs(
            task_type=task_type.value,
            worker="redelivery-test",
            timeout=timeout_ms,
            max_jobs_to_activate=1,
            variables_to_fetch=["orderId"],
            request_timeout=2_000,
        )
        async for job in jobs:
            if ours(job):
                return job
    raise TimeoutError(f"no {task_type.value} job was activated within {within_s}s")
