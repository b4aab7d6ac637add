"""A message is a wake-up: one sent before anybody waits for it is delivered once the wait begins.

Operaton refuses a message no execution waits for; the outbox keeps it and the dispatcher offers it
again until a waiting execution takes it or its time-to-live ends. Runs on the real engine with a
test-only diagram (tests/resources/wake-up-test.bpmn), so no business flow has to be reached first.
"""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from doorflow.settings import ROOT
from models import outbox
from models.db import unit_of_work
from models.outbox import EngineMessage
from tests.conftest import LiveEngine

pytestmark = pytest.mark.engine
TEST_DIAGRAM = ROOT / "tests" / "resources" / "wake-up-test.bpmn"


@pytest.fixture(scope="module")
def wake_up_process(live_engine: LiveEngine) -> str:
    live_engine.client.deploy([TEST_DIAGRAM], name="doorflow-tests")
    return "wake-up-test"


def message_row(sessions: sessionmaker[Session], message_id: str) -> EngineMessage:
    with sessions() as s:
        return s.scalars(select(EngineMessage).where(EngineMessage.message_id == message_id)).one()


def test_a_message_sent_before_the_wait_is_delivered_when_the_wait_begins(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], wake_up_process: str
) -> None:
    key = f"WAKE-{uuid.uuid4().hex[:8]}"
    pid = live_engine.client.start_process(wake_up_process, key, {"delay": "PT4S"})
    message_id = f"wake-{key}"
    with unit_of_work(sessions) as s:
        outbox.enqueue(s, "WakeUpTest", message_id, ttl_s=300, business_key=key, variables={"note": "早到的消息"})
    history = live_engine.history
    # Offered at once and refused (nobody waits yet): kept, and tried again.
    history.wait_for(lambda: message_row(sessions, message_id).attempts >= 1, 15, "a first delivery attempt")
    early = message_row(sessions, message_id)
    assert early.delivered_at is None and early.last_error
    assert history.visited(pid, "WaitForWakeUp") == 0
    # Once the timer has passed, the receive task waits and the outbox delivers.
    history.wait_for(lambda: history.instance_state(pid) == "COMPLETED", 60, "the instance to be woken up")
    delivered = message_row(sessions, message_id)
    assert delivered.delivered_at is not None and delivered.attempts >= 2
    assert history.variable(pid, "note") == "早到的消息"


def test_the_same_message_id_is_stored_and_delivered_once(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session], wake_up_process: str
) -> None:
    key = f"WAKE-{uuid.uuid4().hex[:8]}"
    pid = live_engine.client.start_process(wake_up_process, key, {"delay": "PT0S"})
    history = live_engine.history
    history.wait_for(lambda: history.visited(pid, "WaitForWakeUp", "started") == 1, 30, "the wait")
    for _ in range(2):
        with unit_of_work(sessions) as s:
            outbox.enqueue(s, "WakeUpTest", f"once-{key}", ttl_s=300, business_key=key)
    history.wait_for(lambda: history.instance_state(pid) == "COMPLETED", 30, "the wake-up")
    with sessions() as s:
        rows = s.scalars(select(EngineMessage).where(EngineMessage.message_id == f"once-{key}")).all()
    assert len(rows) == 1 and rows[0].delivered_at is not None


def test_a_message_nobody_waits_for_expires_after_its_time_to_live(
    live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    message_id = f"nobody-{uuid.uuid4().hex[:8]}"
    with unit_of_work(sessions) as s:
        outbox.enqueue(s, "WakeUpTest", message_id, ttl_s=2, business_key="NO-SUCH-KEY")
    started = time.monotonic()
    live_engine.history.wait_for(
        lambda: message_row(sessions, message_id).expired_at is not None, 30, "the message to expire"
    )
    expired = message_row(sessions, message_id)
    assert expired.delivered_at is None and expired.attempts >= 1
    assert time.monotonic() - started >= 1.5
