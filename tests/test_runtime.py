"""Worker runtime rules that need no engine: idempotent execution and retry back-off."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings
from models.jobs import ProcessedTask
from workers.registry import TaskType
from workers.runtime import (
    BadJobData,
    BusinessError,
    TaskContext,
    TaskIdentity,
    backoff_ms,
    outcome_of_failure,
    run_once,
)

SETTINGS = Settings(_env_file=None)


def test_backoff_doubles_per_attempt_and_is_capped() -> None:
    assert [backoff_ms(r, 3, 2_000, 5_000) for r in (3, 2, 1)] == [2_000, 4_000, 5_000]


def test_run_once_applies_the_effect_once_per_task_id(sessions: sessionmaker[Session]) -> None:
    calls: list[int] = []

    def handler(_: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
        calls.append(variables["n"])
        return {"n": variables["n"] * 2}

    first = run_once(
        sessions, SETTINGS, TaskType.ORDER_REGISTER, TaskIdentity("task-900001"), {"n": 21}, handler, "test:1"
    )
    again = run_once(
        sessions, SETTINGS, TaskType.ORDER_REGISTER, TaskIdentity("task-900001"), {"n": 21}, handler, "test:1"
    )
    assert first == again == {"n": 42}
    assert calls == [21]
    with sessions() as s:
        assert len(s.scalars(select(ProcessedTask).where(ProcessedTask.task_id == "task-900001")).all()) == 1


def test_a_failing_handler_leaves_no_record(sessions: sessionmaker[Session]) -> None:
    def handler(_ctx: TaskContext, _: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("database hiccup")

    with pytest.raises(RuntimeError, match="hiccup"):
        run_once(sessions, SETTINGS, TaskType.ORDER_REGISTER, TaskIdentity("task-900002"), {}, handler)
    with sessions() as s:
        assert s.get(ProcessedTask, "task-900002") is None


def test_a_date_time_result_is_handed_back_as_a_date_time_on_a_repeat(sessions: sessionmaker[Session]) -> None:
    due = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def handler(_: TaskContext, __: dict[str, Any]) -> dict[str, Any]:
        return {"dueAt": due, "amount": Decimal("12.50"), "on": date(2026, 12, 1)}

    first = run_once(sessions, SETTINGS, TaskType.ORDER_REGISTER, TaskIdentity("task-900003"), {}, handler)
    again = run_once(sessions, SETTINGS, TaskType.ORDER_REGISTER, TaskIdentity("task-900003"), {}, handler)
    assert first["dueAt"] == again["dueAt"] == due
    assert again["amount"] == "12.50" and again["on"] == "2026-12-01"


def test_failures_map_to_business_errors_incidents_or_retries_with_back_off() -> None:
    error = outcome_of_failure(BusinessError("NOT_FEASIBLE", "no capacity"), 3, 3, SETTINGS)
    assert (error.kind, error.error_code) == ("bpmn_error", "NOT_FEASIBLE")
    bad = outcome_of_failure(BadJobData("orderId missing"), 3, 3, SETTINGS)
    assert (bad.kind, bad.retries) == ("failure", 0)
    first = outcome_of_failure(RuntimeError("db down"), None, 3, SETTINGS)
    assert (first.retries, first.retry_timeout_ms) == (2, SETTINGS.retry_backoff_base_ms)
    last = outcome_of_failure(RuntimeError("db down"), 1, 3, SETTINGS)
    assert last.retries == 0 and last.retry_timeout_ms == 4 * SETTINGS.retry_backoff_base_ms
