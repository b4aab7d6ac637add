"""The engine client's answer to a clash: completing parallel user tasks at once on the real engine.

Three parallel user tasks that join again (tests/resources/parallel-tasks-test.bpmn): completions that
run at the same time update the same execution, the engine rolls all but one back (optimistic
locking) and answers HTTP 500; ``complete_task`` does it again, so every completion goes through.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest

from doorflow.operaton import EngineRejected, optimistic_lock_clash
from doorflow.settings import ROOT
from tests.conftest import LiveEngine

TEST_DIAGRAM = ROOT / "tests" / "resources" / "parallel-tasks-test.bpmn"
PROCESS = "parallel-tasks-test"
TASKS = ("TaskA", "TaskB", "TaskC")


def test_the_answers_that_are_clashes() -> None:
    wrapped = (
        "Cannot complete task 01f3: ENGINE-03005 Execution of 'UPDATE ExecutionEntity[01d9]' failed. "
        "Entity was updated by another transaction concurrently."
    )
    assert optimistic_lock_clash(EngineRejected(500, wrapped, "RestException"))
    assert optimistic_lock_clash(EngineRejected(500, "ENGINE-03005 …", "OptimisticLockingException"))
    assert not optimistic_lock_clash(EngineRejected(500, "Cannot complete task 01f3: ENGINE-13005 …", "RestException"))
    assert not optimistic_lock_clash(EngineRejected(404, "task 01f3 not found", "InvalidRequestException"))
    assert not optimistic_lock_clash(EngineRejected(400, "ENGINE-03005 in a variable's text", "RestException"))


def at_once(calls: list[Callable[[], None]]) -> list[Exception]:
    """Run the calls in threads released together; the exceptions they raised."""
    gate = threading.Barrier(len(calls))
    errors: list[Exception] = []

    def run(call: Callable[[], None]) -> None:
        gate.wait()
        try:
            call()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.mark.engine
def test_parallel_completions_clash_and_complete_task_repeats_them(live_engine: LiveEngine) -> None:
    client = live_engine.client
    client.deploy([TEST_DIAGRAM], name="doorflow-tests-parallel")

    def open_tasks() -> tuple[str, list[str]]:
        pid = client.start_process(PROCESS, f"PAR-{uuid.uuid4().hex[:8]}")
        rows = client.get("/task", processInstanceId=pid)
        assert sorted(r["taskDefinitionKey"] for r in rows) == sorted(TASKS)
        return pid, [r["id"] for r in rows]

    def raw_complete(task_id: str) -> Callable[[], None]:
        return lambda: client.call("POST", f"/task/{task_id}/complete", json={"variables": {}})

    def complete(task_id: str) -> Callable[[], None]:
        return lambda: client.complete_task(task_id, {"reviewed": True})

    # Without repeating: the engine's own answer to a clash, as the client sees it.
    refused: list[Exception] = []
    for _ in range(20):
        _, ids = open_tasks()
        refused = at_once([raw_complete(t) for t in ids])
        if refused:
            break
    assert refused, "20 rounds of three completions at once never clashed"
    for exc in refused:
        assert isinstance(exc, EngineRejected) and exc.status == 500, exc
        assert optimistic_lock_clash(exc), exc

    # With complete_task: every completion of every round goes through and every instance ends.
    for _ in range(5):
        pid, ids = open_tasks()
        assert at_once([complete(t) for t in ids]) == []
        assert live_engine.history.instance_state(pid) == "COMPLETED"
