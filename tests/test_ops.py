"""Small things people notice (issue 9): names in the audit trail, e-mail headers, the demo's words,
offline API docs, /health per component and the run command noticing a process that died."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow import demo, identity, mail, mailsink, stack
from doorflow.store import create_database, migrate
from models.audit import AuditEntry
from models.collection import service as collection
from models.collection.schemas import ScheduleItem
from models.collection.tables import InstallmentKind
from models.db import make_engine, make_sessionmaker
from models.documents.tables import Document, DocumentCategory
from models.ops import service as ops
from models.ops.tables import WorkerHeartbeat
from models.orders.tables import Order, OrderStatus
from tests.conftest import LiveEngine, actor_of, login, make_settings

PAYEE = collection.Payee(name="宁波测试门业有限公司", bank="中国银行宁波分行", account="3801 0000", phone="0574-8888")


# --- 1. Chinese user names in the audit trail ----------------------------------------------------


def _document(sessions: sessionmaker[Session]) -> int:
    with sessions() as s, s.begin():
        doc = Document(
            subject=f"test:{uuid.uuid4().hex[:8]}",
            kind="test",
            category=DocumentCategory.CUSTOMER,
            title="测试文件",
            filename="测试文件.html",
            template="none",
            content="<p>测试</p>",
            created_by="test",
        )
        s.add(doc)
        s.flush()
        return doc.id


def _readers(sessions: sessionmaker[Session], document_id: int) -> list[str]:
    with sessions() as s:
        rows = s.scalars(
            select(AuditEntry.actor)
            .where(AuditEntry.entity == "document", AuditEntry.entity_id == str(document_id))
            .order_by(AuditEntry.id)
        )
        return list(rows)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app behind a real uvicorn (as ./dev run serves it): header bytes go over the wire as sent.

    The test client is no good here: it re-decodes every header of a request as latin-1 as soon as
    one of them is not UTF-8, so it cannot send the bytes a real client sends.
    """
    port = stack.free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.engine
def test_chinese_user_names_reach_the_audit_trail_as_sent(
    sessions: sessionmaker[Session], db_url: str, live_engine: LiveEngine
) -> None:
    """The reader is the authenticated engine user: user id and Chinese name (from the engine) reach the
    audit trail intact through a real uvicorn, not as mojibake; a free-text X-Doorflow-User names nobody."""
    document_id = _document(sessions)
    readers = ["wanglei", "chenyu", "zhaomin", "svc-crm"]
    with (
        serving(create_app(make_settings(db_url, live_engine.cfg.url))) as base,
        httpx.Client(base_url=base) as client,
    ):
        url = f"/documents/{document_id}/content"
        for user in readers:
            # The header claims someone else, as raw UTF-8 bytes: it is not looked at.
            response = client.get(url, auth=login(user), headers={b"X-Doorflow-User": "李娜".encode()})
            assert response.status_code == 200, (user, response.text)
        expected = [actor_of(user) for user in readers]
        assert expected == ["wanglei 王磊", "chenyu 陈雨", "zhaomin 赵敏", "svc-crm 客户管理接口"]
        assert _readers(sessions, document_id) == expected

        # Without credentials a name in the header is no way in: 401, nothing recorded.
        anonymous = client.get(url, headers={b"X-Doorflow-User": "王磊".encode()})
        assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == 'Basic realm="doorflow"'
        time.sleep(0.5)
        assert _readers(sessions, document_id) == expected


# --- 2. E-mail headers: Date, and a Message-ID unique across databases and stable for a retry -----


@pytest.fixture(scope="module")
def mail_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """doorflow's own SMTP sink (the one ./dev run starts), writing each mail as an .eml file."""
    folder = tmp_path_factory.mktemp("mail")
    port = stack.free_port()
    controller = Controller(mailsink.Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, folder
    controller.stop()


def _fresh_database(db_url: str) -> sessionmaker[Session]:
    url = create_database(db_url, f"ops_mail_{uuid.uuid4().hex[:8]}")
    migrate(url)
    return make_sessionmaker(make_engine(url))


def _installment(sessions: sessionmaker[Session]) -> int:
    with sessions() as s, s.begin():
        order = Order(
            order_number="DO20400101-001",  # the same number in both databases, as in two factories
            customer_name="宁波测试客户",
            delivery_address="宁波市鄞州区天童南路 1 号",
            requested_delivery_date=date(2040, 6, 30),
            status=OrderStatus.REGISTERED,
        )
        s.add(order)
        s.flush()
        collection.register_installments(
            s,
            order_id=order.id,
            order_number=order.order_number,
            schedule=[ScheduleItem(kind=InstallmentKind.FINAL, amount=Decimal("8000.00"), due_date=date(2042, 5, 10))],
            contract_number=None,
            customer_name=order.customer_name,
            customer_email="caiwu@ops-test.example.cn",
            actor="test",
            process_instance_id=None,
        )
        return collection.list_installments(s, order_id=order.id)[0].id


class SentThenFailed(Exception):
    """The transaction fails after the mail went out: the step is retried and mails again."""


def test_emails_have_a_date_and_a_message_id_unique_per_database_and_stable_per_message(
    db_url: str, mail_sink: tuple[int, Path]
) -> None:
    port, folder = mail_sink
    settings = make_settings(db_url, "http://127.0.0.1:9").model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port}
    )
    first_db, second_db = _fresh_database(db_url), _fresh_database(db_url)
    installments = [_installment(first_db), _installment(second_db)]
    assert installments == [1, 1]  # installment 1 of two databases: the case that clashed

    def notice(sessions: sessionmaker[Session], installment_id: int, fail_after: bool = False) -> None:
        with sessions() as s, s.begin():
            collection.send_settlement_notice(
                s, installment_id, payee=PAYEE, mailer=lambda m: mail.send(settings, m), actor="test"
            )
            if fail_after:
                raise SentThenFailed

    before = datetime.now(UTC).replace(microsecond=0)
    with pytest.raises(SentThenFailed):
        notice(first_db, 1, fail_after=True)
    notice(first_db, 1)  # the retry of the same message
    notice(second_db, 1)

    messages = []
    for path in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        messages.append(msg)
    assert len(messages) == 3
    for msg in messages:
        sent_at = parsedate_to_datetime(str(msg["Date"]))
        assert sent_at.tzinfo is not None and before <= sent_at <= datetime.now(UTC) + timedelta(seconds=1)
    retried, again, other = (str(m["Message-ID"]).strip() for m in messages)  # a long one is folded
    assert retried == again  # a receiver deduplicates the retry
    assert other != retried  # another database's installment 1 is another message
    domain = settings.smtp_sender.rpartition("@")[2]
    for sessions, message_id in ((first_db, retried), (second_db, other)):
        with sessions() as s:
            assert message_id == f"<settlement_notice.1.{ops.database_uuid(s)}@{domain}>"


# --- 4. API docs without internet ---------------------------------------------------------------


def test_api_docs_load_nothing_from_outside(db_url: str) -> None:
    app = create_app(make_settings(db_url, "http://127.0.0.1:9"))
    with TestClient(app) as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page).text
            assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), page
            assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
            assets += re.findall(r"""(?:url: |spec-url=)["']([^"']+)["']""", html)
            assert len(assets) >= 3, (page, assets)  # a script, the favicon, the OpenAPI document (and a stylesheet)
            for asset in assets:
                response = client.get(asset)
                assert response.status_code == 200 and len(response.content) > 1000, (page, asset)
        assert '"validatorUrl": null' in client.get("/docs").text  # no badge fetched from validator.swagger.io


# --- 5a. ./dev run notices a process that died ----------------------------------------------------


def _child(tmp_path: Path, name: str, code: str) -> stack.Child:
    return stack.spawn(name, [sys.executable, "-c", code], dict(os.environ), tmp_path)


def test_supervisor_restarts_a_dying_child_a_bounded_number_of_times(tmp_path: Path) -> None:
    said: list[str] = []
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(min(seconds, 0.05))

    child = _child(tmp_path, "workers", "import sys; sys.exit(3)")
    supervisor = stack.Supervisor(said.append, max_restarts=2, backoff_s=0.2, sleep=sleep)
    supervisor.watch_child(child)
    pids = {child.proc.pid}
    reason = supervisor.run(interval_s=0.05)
    pids.add(child.proc.pid)
    assert said[:2] == [
        f"workers exited with code 3 (log: {child.log}); restarting it in 0.2s (restart 1 of 2)",
        f"workers exited with code 3 (log: {child.log}); restarting it in 0.4s (restart 2 of 2)",
    ]
    assert [w for w in waits if w >= 0.2] == [0.2, 0.4]  # doubling back-off
    assert reason == said[-1] and "again after 2 restarts" in reason and "everything stops" in reason
    assert len(pids) == 2 and child.log.read_text().count("restarted by doorflow") == 2


def test_supervisor_notices_a_killed_engine_at_once_and_stops(tmp_path: Path) -> None:
    """The engine is not restarted: its death (here a SIGKILL) ends the run with a clear message."""
    said: list[str] = []
    engine = _child(tmp_path, "engine", "import time; time.sleep(60)")
    api = _child(tmp_path, "api", "import time; time.sleep(60)")
    try:
        supervisor = stack.Supervisor(said.append)
        supervisor.watch(stack.Watched("engine", engine.proc.poll, engine.log))
        supervisor.watch_child(api)
        assert supervisor.check() is None  # both running
        os.kill(engine.proc.pid, signal.SIGKILL)
        killed = time.monotonic()
        reason = supervisor.run(interval_s=0.1)
        assert time.monotonic() - killed < 2
        assert reason.startswith(f"engine was killed by SIGKILL (log: {engine.log}); it is not restarted")
        assert said == [reason]
        assert api.proc.poll() is None  # the caller (cmd_run) stops the rest
    finally:
        api.stop()
        engine.stop()


# --- 3. the demo says what the process does --------------------------------------------------------


@pytest.mark.engine
def test_demo_prints_who_really_approves_the_discount(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child
) -> None:
    said: list[str] = []
    [scenario] = [s for s in demo.ORDER_SCENARIOS if s.stage == "ApprovePrice"]
    driver = demo.Demo(api, live_engine.client, live_engine.history, said.append)
    [(order, where)] = driver.orders([scenario])
    assert where == "reached"
    open_tasks = live_engine.history.open_user_tasks_in_tree(order["process_instance_id"])
    [task] = [t for t in open_tasks if t.element_id == "ApprovePrice"]
    assert task.candidate_groups == ["sales-manager"]  # what DMN price-approval decides for 15 %
    group = identity.group_names()[task.candidate_groups[0]]
    # The task's name in Tasklist carries the order (" · DO… · customer"); the demo line names the order itself.
    assert task.name.startswith("审批价格 · ")
    where_now = f"停在「审批价格」，由{group}处理"
    assert said == [f"order  {order['order_number']} {order['customer_name']}: {scenario.label} — {where_now}"]
    assert "总经理" not in said[0]


# --- 5b. /health per component ---------------------------------------------------------------------


def _worker_id(child: stack.Child) -> str:
    return f"doorflow-{socket.gethostname()}-{child.proc.pid}"


def _health(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/health")
    return response.status_code, response.json()


@pytest.mark.engine
def test_health_is_200_only_when_database_engine_and_workers_are_up(
    db_url: str, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    with TestClient(create_app(make_settings(db_url, live_engine.cfg.url))) as client:
        live_engine.history.wait_for(lambda: _health(client)[0] == 200, 30, "/health 200")
        status, body = _health(client)
        assert status == 200 and body["status"] == "ok" and body["down"] == []
        parts = body["components"]
        assert {name: part["status"] for name, part in parts.items()} == {
            "database": "up",
            "engine": "up",
            "workers": "up",
        }
        assert parts["engine"]["version"] == "1.0.3"
        assert _worker_id(workers) in parts["workers"]["alive"]  # the real worker process's poll loop beat

    # The heartbeat also says the loop's fetches reach the engine (a loop that only beats is idle, not working).
    def engine_seen() -> WorkerHeartbeat | None:
        with sessions() as s:
            row = s.get(WorkerHeartbeat, _worker_id(workers))
            return row if row is not None and row.engine_seen_at is not None else None

    row = live_engine.history.wait_for(engine_seen, 30, "a heartbeat after a fetch the engine answered")
    assert row.engine_seen_at <= row.beat_at

    # The engine gone (nothing answers on its port any more): 503 naming the engine, the rest up.
    dead_engine = f"http://127.0.0.1:{stack.free_port()}"
    with TestClient(create_app(make_settings(db_url, dead_engine))) as client:
        status, body = _health(client)
        assert status == 503 and body["down"] == ["engine"], body
        assert "unreachable" in body["components"]["engine"]["error"]

    # The database gone: 503 naming it (and the workers, whose heartbeats cannot be read).
    dead_db = f"postgresql://postgres@127.0.0.1:{stack.free_port()}/doorflow"
    with TestClient(create_app(make_settings(dead_db, live_engine.cfg.url))) as client:
        status, body = _health(client)
        assert status == 503 and body["down"] == ["database", "workers"], body
        assert body["components"]["engine"]["status"] == "up"


@pytest.mark.engine
def test_health_reports_workers_down_when_their_process_died(
    db_url: str, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """Runs last in this module: it kills the module's worker process (the fixture's stop copes)."""
    settings = make_settings(db_url, live_engine.cfg.url).model_copy(update={"worker_heartbeat_stale_s": 3.0})
    worker_id = _worker_id(workers)
    with TestClient(create_app(settings)) as client:
        live_engine.history.wait_for(lambda: worker_id in _health(client)[1]["components"]["workers"]["alive"], 30)
        workers.proc.send_signal(signal.SIGKILL)  # a crash: no clean goodbye, the row stays and goes stale
        workers.proc.wait()
        time.sleep(3.5)
        status, body = _health(client)
        assert status == 503 and body["down"] == ["workers"], body
        stale = body["components"]["workers"]["stale"]
        assert worker_id in [w["worker_id"] for w in stale] and all(w["last_heartbeat_s_ago"] > 3 for w in stale)
    with sessions() as s:
        assert s.get(WorkerHeartbeat, worker_id) is not None


def test_a_beat_without_the_engine_keeps_when_the_engine_was_last_reached(sessions: sessionmaker[Session]) -> None:
    worker_id = f"beat-test-{uuid.uuid4().hex[:8]}"

    def beat(reached: bool) -> WorkerHeartbeat:
        with sessions() as s, s.begin():
            ops.beat(s, worker_id, "host", 1, engine_reached=reached)
        with sessions() as s:
            row = s.get(WorkerHeartbeat, worker_id)
            assert row is not None
            return row

    first = beat(False)
    assert first.engine_seen_at is None  # alive, but no fetch answered yet
    reached = beat(True)
    assert reached.engine_seen_at is not None and reached.engine_seen_at == reached.beat_at
    lost = beat(False)
    assert lost.beat_at > reached.beat_at and lost.engine_seen_at == reached.engine_seen_at
    with sessions() as s, s.begin():
        ops.forget(s, worker_id)
