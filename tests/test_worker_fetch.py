"""Workers fetch only the variables their topic declares (issue 16 item 7), not every variable in scope.

A 25 MB variable somebody put on an instance no longer travels to every worker that touches it: each
topic's fetch names its handler's inputs (workers/registry.py), and the engine sends nothing else.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from doorflow import identity
from doorflow.settings import ROOT, Settings
from tests.conftest import LiveEngine
from workers.external import ClientConfig, ExternalTaskClient, LockedTask
from workers.main import client_config
from workers.registry import TASKS
from workers.runtime import Outcome

PROBE = ROOT / "tests" / "resources" / "fetch-probe-test.bpmn"
DECLARED, NOTHING = "doorflow.test.fetch-declared", "doorflow.test.fetch-nothing"


def test_each_topic_fetches_exactly_its_handlers_inputs() -> None:
    cfg = client_config(Settings(_env_file=None))
    assert set(cfg.variables) == set(cfg.topics) == {t.value for t in TASKS}
    for task_type, spec in TASKS.items():
        assert cfg.variables[task_type.value] == list(spec.inputs)


def _fetch_once(live_engine: LiveEngine, business_key: str) -> dict[str, LockedTask]:
    """Run the worker client until it has fetched both probe tasks of ``business_key``; complete them."""
    seen: dict[str, LockedTask] = {}

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        user, password = identity.credentials("doorflow")
        cfg = ClientConfig(
            base_url=live_engine.cfg.url,
            username=user,
            password=password,
            topics=[DECLARED, NOTHING],
            variables={DECLARED: ["orderId", "notSetAnywhere"], NOTHING: []},
            long_poll_ms=1_000,
        )

        def execute(task: LockedTask) -> Outcome:
            if task.business_key == business_key:
                seen[task.topic] = task
                if len(seen) == 2:  # handlers run in threads: stop the client from its own loop
                    loop.call_soon_threadsafe(client.stop)
            return Outcome("complete", {})

        client = ExternalTaskClient(cfg, execute)
        await asyncio.wait_for(client.serve(), timeout=60)

    asyncio.run(serve())
    return seen


@pytest.mark.engine
def test_a_fetched_task_carries_only_the_declared_variables(live_engine: LiveEngine) -> None:
    live_engine.client.deploy([PROBE], name="doorflow-tests-fetch")
    key = f"FETCH-{uuid.uuid4().hex[:8]}"
    variables: dict[str, Any] = {"orderId": 42, "customerPhone": "0571-88886666", "padding": "x" * 3_000}
    pid = live_engine.client.start_process("fetch-probe-test", key, variables)
    seen = _fetch_once(live_engine, key)
    assert seen[DECLARED].process_instance_id == pid
    assert seen[DECLARED].variables == {"orderId": 42}
    assert seen[NOTHING].variables == {}
    live_engine.history.wait_for(lambda: live_engine.history.instance_state(pid) == "COMPLETED", 30, "the end")
