"""Worker runtime rules that need no engine: idempotent execution and retry back-off."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings
from models.jobs import ProcessedJob
from workers.registry import TaskType
from workers.runtime import JobIdentity, TaskContext, backoff_ms, run_once

SETTINGS = Settings(_env_file=None)


def test_backoff_doubles_per_attempt_and_is_capped() -> None:
    assert [backoff_ms(r, 3, 2_000, 5_000) for r in (3, 2, 1)] == [2_000, 4_000, 5_000]


def test_run_once_applies_the_effect_once_per_job_key(sessions: sessionmaker[Session]) -> None:
    calls: list[int] = []

    def handler(_: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
        calls.append(variables["n"])
        return {"n": variables["n"] * 2}

    first = run_once(sessions, SETTINGS, TaskType.ORDER_REGISTER, JobIdentity(900_001), {"n": 21}, handler, "test:1")
    again = run_once(sessions, SETTINGS, TaskType.ORDER_REGISTER, JobIdentity(900_001), {"n": 21}, handler, "test:1")
    assert first == again == {"n": 42}
    assert calls == [21]
    with sessions() as s:
        assert len(s.scalars(select(ProcessedJob).where(ProcessedJob.job_key == 900_001)).all()) == 1


def test_a_failing_handler_leaves_no_record(sessions: sessionmaker[Session]) -> None:
    def handler(_ctx: TaskContext, _: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("database hiccup")

    with pytest.raises(RuntimeError, match="hiccup"):
        run_once(sessions, SETTINGS, TaskType.ORDER_REGISTER, JobIdentity(900_002), {}, handler)
    with sessions() as s:
        assert s.get(ProcessedJob, 900_002) is None
