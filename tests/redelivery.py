"""Lock an external task by hand, as a second worker would, to make the engine hand the same task out twice."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveEngine
from workers.external import LockedTask
from workers.registry import TaskType


def fetch_and_lock(
    live_engine: LiveEngine, task_type: TaskType, business_key: str, lock_ms: int, timeout_s: float, worker_id: str
) -> LockedTask:
    """The task of ``task_type`` for this business key, locked for ``lock_ms`` (polling until the engine has it)."""
    body = {
        "workerId": worker_id,
        "maxTasks": 1,
        "asyncResponseTimeout": 1_000,
        "topics": [{"topicName": task_type.value, "lockDuration": lock_ms, "businessKey": business_key}],
    }

    def locked() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = live_engine.client.call("POST", "/external-task/fetchAndLock", json=body)
        return rows

    (row,) = live_engine.history.wait_for(locked, timeout_s, f"the {task_type.value} task")
    return LockedTask.from_row(row)
