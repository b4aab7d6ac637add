"""Confidential documents on the real engine: request → approval by the owner group → time-limited grant.

The grant's expiry is the process's timer, fired by moving the engine clock past it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow import identity, stack
from doorflow.operaton import EngineRejected, OperatonClient
from doorflow.settings import Settings
from models.documents import access
from models.documents import service as documents
from models.documents.tables import AccessStatus, DocumentAccessRequest, DocumentCategory, DocumentRead, ReadOutcome
from models.errors import Conflict
from tests.conftest import LiveEngine, login, make_settings, reset_engine_clock
from tests.document_samples import samples
from workers.runtime import BadJobData, TaskContext
from workers.tasks import document_decide_access as decide_access

pytestmark = pytest.mark.engine

DEMO_PASSWORD = identity.PASSWORD_DEFAULTS["DOORFLOW_DEMO_PASSWORD"]
READER = "wanglei"  # sales (demo user); the contract's owner group is legal (sunli)
FORGED = "张伟（总经理）"  # a name someone might type as the approver
COMMENT = "请由部门其他负责人处理"


def api_credentials() -> tuple[str, str]:
    """Who the test client calls the API as (the integrator points this at the right users)."""
    return identity.credentials("doorflow")


@pytest.fixture
def docs_api(db_url: str, live_engine: LiveEngine) -> Iterator[TestClient]:
    settings: Settings = make_settings(db_url, live_engine.cfg.url)
    with TestClient(create_app(settings)) as client:
        client.auth = api_credentials()
        yield client


def _wait(what: Callable[[], Any], name: str, timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := what()):
        assert time.monotonic() < deadline, f"timed out waiting for {name}"
        time.sleep(0.3)
    return result


def _confidential_contract(sessions: sessionmaker[Session], docs_api: TestClient) -> int:
    [sample] = [s for s in samples() if s.template == "contract.html.j2"]
    with sessions() as s, s.begin():
        doc = documents.store(
            s,
            subject=f"test-access:{time.monotonic_ns()}",
            kind="contract",
            category=DocumentCategory.CONTRACT,
            title="销售合同 HT20990301-0042（第 2 版）",
            template=sample.template,
            context=sample.context,
            actor="test",
        )
        document_id = doc.id
    marked = docs_api.put(f"/documents/{document_id}/confidentiality", json={"confidential": True})
    assert marked.status_code == 200 and marked.json()["confidential"] is True
    return document_id


def _read(docs_api: TestClient, document_id: int, pdf: bool = False) -> int:
    url = f"/documents/{document_id}.pdf" if pdf else f"/documents/{document_id}/content"
    response = docs_api.get(url, auth=login(READER))
    if response.status_code == 403:
        assert "文档查阅申请" in response.json()["detail"]
        assert response.json()["request_access"]["path"] == f"/documents/{document_id}/access-requests"
    code: int = response.status_code
    return code


def _log(sessions: sessionmaker[Session], document_id: int) -> list[tuple[str | None, ReadOutcome, str]]:
    with sessions() as s:
        rows = s.scalars(select(DocumentRead).where(DocumentRead.document_id == document_id).order_by(DocumentRead.id))
        return [(r.reader, r.outcome, r.format) for r in rows]


def _request(sessions: sessionmaker[Session], pid: str) -> DocumentAccessRequest | None:
    with sessions() as s:
        return s.scalar(select(DocumentAccessRequest).where(DocumentAccessRequest.process_instance_id == pid))


def _approve_task(live_engine: LiveEngine, pid: str) -> dict[str, Any]:
    tasks = _wait(lambda: live_engine.client.get("/task", processInstanceId=pid), "the approval task")
    [task] = tasks
    assert task["taskDefinitionKey"] == "ApproveAccess"
    links = live_engine.client.get(f"/task/{task['id']}/identity-links", type="candidate")
    assert [link["groupId"] for link in links] == ["legal"]
    return dict(task)


@pytest.mark.engine_clock
def test_an_approved_request_grants_reading_until_the_timer_ends_it(
    docs_api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    document_id = _confidential_contract(sessions, docs_api)
    assert _read(docs_api, document_id) == 403
    assert _read(docs_api, document_id, pdf=True) == 403

    started = docs_api.post(
        f"/documents/{document_id}/access-requests",
        json={"reason": "核对交货条款"},
        auth=login(READER),
    )
    assert started.status_code == 201, started.text
    pid = started.json()["process_instance_id"]
    task = _approve_task(live_engine, pid)
    pending = _request(sessions, pid)
    assert pending is not None and pending.status == AccessStatus.PENDING and pending.requested_by == READER
    assert _read(docs_api, document_id) == 403  # not approved yet

    legal = OperatonClient(live_engine.cfg.url, "sunli", DEMO_PASSWORD)
    try:
        # The approval form has no approver field: the engine records who completed the task.
        form = legal.get(f"/task/{task['id']}/form-variables")
        assert "accessApprover" not in form
        legal.complete_task(task["id"], {"accessDecision": "approve", "accessComment": "限查阅交货条款"})
    finally:
        legal.close()
    granted = _wait(
        lambda: (r := _request(sessions, pid)) is not None and r.status == AccessStatus.APPROVED and r, "the grant"
    )
    assert granted.decided_by == "sunli"  # the authenticated user who completed the task
    assert granted.granted_until is not None and granted.decided_at is not None
    assert granted.granted_until - granted.decided_at == timedelta(hours=8)  # the default setting PT8H
    assert _read(docs_api, document_id) == 200
    pdf = docs_api.get(f"/documents/{document_id}.pdf", auth=login(READER))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    negotiated = docs_api.get(
        f"/documents/{document_id}/content", auth=login(READER), headers={"Accept": "application/pdf"}
    )
    assert negotiated.status_code == 200 and negotiated.content == pdf.content
    # Another staff member has no grant of their own.
    assert docs_api.get(f"/documents/{document_id}/content", auth=login("chenyu")).status_code == 403

    try:
        _wait(lambda: live_engine.client.get("/job", processInstanceId=pid, timers="true"), "the expiry timer")
        live_engine.client.pin_clock(int((granted.granted_until + timedelta(minutes=1)).timestamp() * 1000))
        _wait(lambda: (r := _request(sessions, pid)) is not None and r.status == AccessStatus.EXPIRED, "the expiry")
        _wait(lambda: live_engine.history.instance_state(pid) == "COMPLETED", "the end of the process")
        assert live_engine.history.visited(pid, "AccessEnded") == 1
    finally:
        reset_engine_clock(live_engine)
    assert _read(docs_api, document_id) == 403

    # Every read and every refusal, once each, in order.
    assert _log(sessions, document_id) == [
        (READER, ReadOutcome.REFUSED, "html"),
        (READER, ReadOutcome.REFUSED, "pdf"),
        (READER, ReadOutcome.REFUSED, "html"),
        (READER, ReadOutcome.READ, "html"),
        (READER, ReadOutcome.READ, "pdf"),
        (READER, ReadOutcome.READ, "pdf"),
        ("chenyu", ReadOutcome.REFUSED, "html"),
        (READER, ReadOutcome.REFUSED, "html"),
    ]
    report = docs_api.get("/reports/document-reads", params={"document_id": document_id})
    assert report.status_code == 200
    body = report.json()
    assert (body["reads"], body["refusals"]) == (3, 5) and len(body["entries"]) == 8
    assert body["entries"][0]["reader"] == READER and body["entries"][0]["outcome"] == "refused"
    assert body["entries"][0]["document_title"].startswith("销售合同")


def test_a_refused_request_grants_nothing(
    docs_api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    document_id = _confidential_contract(sessions, docs_api)
    # From Tasklist: the staff member starts 文档查阅申请 with its start form; they are the requester.
    staff = OperatonClient(live_engine.cfg.url, READER, DEMO_PASSWORD)
    try:
        start_form = staff.get("/process-definition/key/document-access/startForm")
        assert start_form["operatonFormRef"]["key"] == "document-access-request"
        pid = staff.start_process("document-access", None, {"documentId": document_id, "accessReason": "想看看"})
    finally:
        staff.close()
    task = _approve_task(live_engine, pid)
    kept = _request(sessions, pid)
    assert kept is not None and kept.requested_by == READER and kept.owner_group == "legal"
    legal = OperatonClient(live_engine.cfg.url, "sunli", DEMO_PASSWORD)
    try:
        legal.complete_task(task["id"], {"accessDecision": "refuse", "accessComment": "无工作需要"})
    finally:
        legal.close()
    _wait(lambda: live_engine.history.instance_state(pid) == "COMPLETED", "the refusal")
    assert live_engine.history.visited(pid, "AccessRefused") == 1
    refused = _request(sessions, pid)
    assert refused is not None and refused.status == AccessStatus.REFUSED and refused.granted_until is None
    assert refused.decided_by == "sunli"
    assert _read(docs_api, document_id) == 403
    assert _log(sessions, document_id) == [(READER, ReadOutcome.REFUSED, "html")]


def test_requests_that_cannot_be_kept(
    docs_api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    document_id = _confidential_contract(sessions, docs_api)
    url = f"/documents/{document_id}/access-requests"
    blank = docs_api.post(url, json={"reason": "  "}, auth=login(READER))
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "reason"]
    assert docs_api.post("/documents/987654321/access-requests", json={"reason": "核对"},
                         auth=login(READER)).status_code == 404  # fmt: skip
    docs_api.put(f"/documents/{document_id}/confidentiality", json={"confidential": False})
    assert docs_api.post(url, json={"reason": "核对"}, auth=login(READER)).status_code == 409
    # An ordinary document is read without asking, and the read is logged too.
    assert _read(docs_api, document_id) == 200
    assert _log(sessions, document_id) == [(READER, ReadOutcome.READ, "html")]
    # From Tasklist, a request for it ends as 申请未受理 with the reason.
    staff = OperatonClient(live_engine.cfg.url, READER, DEMO_PASSWORD)
    try:
        pid = staff.start_process("document-access", None, {"documentId": document_id, "accessReason": "核对"})
    finally:
        staff.close()
    _wait(lambda: live_engine.history.instance_state(pid) == "COMPLETED", "the refusal of the request")
    assert live_engine.history.visited(pid, "AccessRequestNotAccepted") == 1
    assert _request(sessions, pid) is None


def test_the_requester_cannot_approve_their_own_request_and_nobody_types_the_approver(
    docs_api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """Issue 16 item 6: four eyes, and the approver recorded is the engine's authenticated user."""
    document_id = _confidential_contract(sessions, docs_api)
    # 孙丽 (legal, the contract's owner group) asks to read a contract: her own group's approval task.
    owner = OperatonClient(live_engine.cfg.url, "sunli", DEMO_PASSWORD)
    try:
        pid = owner.start_process("document-access", None, {"documentId": document_id, "accessReason": "核对条款"})
        task = _approve_task(live_engine, pid)
        assert [t["id"] for t in owner.get("/task", processInstanceId=pid)] == [task["id"]]  # she sees it
        with pytest.raises(EngineRejected) as claimed:
            owner.call("POST", f"/task/{task['id']}/claim", json={"userId": "sunli"})
        assert claimed.value.status == 400 and "申请人不能审批自己的申请" in claimed.value.detail
        with pytest.raises(EngineRejected) as completed:
            owner.complete_task(task["id"], {"accessDecision": "approve", "accessComment": "自己批准"})
        assert completed.value.status == 400 and "申请人不能审批自己的申请" in completed.value.detail
        with pytest.raises(EngineRejected) as submitted:
            owner.call(
                "POST",
                f"/task/{task['id']}/submit-form",
                json={"variables": {"accessDecision": {"value": "approve"}, "accessApprover": {"value": FORGED}}},
            )
        assert submitted.value.status == 400
    finally:
        owner.close()
    # Nothing was decided: the task is still open and unclaimed, the request still pending.
    [still_open] = live_engine.client.get("/task", processInstanceId=pid)
    assert still_open["id"] == task["id"] and still_open["assignee"] is None
    pending = _request(sessions, pid)
    assert pending is not None and pending.status == AccessStatus.PENDING and pending.decided_by is None
    assert live_engine.client.get(f"/process-instance/{pid}/variables").get("accessApprover") is None

    # Someone else completes it, typing a general manager's name as the approver: the engine records who
    # really completed it (here the system administrator), whatever was typed (or refuses the unknown key).
    try:
        live_engine.client.complete_task(
            task["id"],
            {"accessDecision": "refuse", "accessComment": COMMENT, "accessApprover": FORGED},
        )
    except EngineRejected as exc:  # a stricter form check refuses the key the form does not have
        assert exc.status == 400 and "accessApprover" in exc.detail
        live_engine.client.complete_task(task["id"], {"accessDecision": "refuse", "accessComment": COMMENT})
    decided = _wait(
        lambda: (r := _request(sessions, pid)) is not None and r.status == AccessStatus.REFUSED and r, "the decision"
    )
    assert decided.decided_by == "doorflow" and decided.requested_by == "sunli"
    approver = live_engine.history.variable(pid, "accessApprover")
    assert approver == "doorflow"


def test_the_store_refuses_a_decision_by_the_requester(sessions: sessionmaker[Session]) -> None:
    """The store's own guard behind the engine's: a self-approval reaching the worker fails, nothing is recorded."""
    [sample] = [s for s in samples() if s.template == "contract.html.j2"]
    policy = access.Policy.from_settings(Settings(_env_file=None))
    decided_at = datetime(2099, 3, 1, 9, 0, tzinfo=UTC)
    with sessions() as s, s.begin():
        doc = documents.store(
            s,
            subject=f"test-four-eyes:{time.monotonic_ns()}",
            kind="contract",
            category=DocumentCategory.CONTRACT,
            title="销售合同（四眼原则）",
            template=sample.template,
            context=sample.context,
            actor="test",
        )
        doc.confidential = True
        kept = access.register_request(
            s,
            document_id=doc.id,
            requested_by="sunli",
            reason="核对条款",
            process_instance_id=f"test-{uuid.uuid4()}",
            policy=policy,
        )
        for who, why in (("sunli", "四眼原则"), (" ", "没有审批人")):
            with pytest.raises(Conflict, match=why):
                access.decide(
                    s, kept.request.id, approved=True, decided_by=who, comment=None, decided_at=decided_at,
                    grant=policy.grant,
                )  # fmt: skip
        assert kept.request.status == AccessStatus.PENDING and kept.request.decided_by is None
        # The worker turns it into an incident at once (bad task data), recording nothing.
        ctx = TaskContext(s, Settings(_env_file=None), "t", "p", "RecordAccessDecision", None, "worker:test")
        task_variables = {
            "accessRequestId": kept.request.id,
            "accessDecision": "approve",
            "accessApprover": "sunli",
            "decidedAt": decided_at.isoformat(),
        }
        with pytest.raises(BadJobData, match="四眼原则"):
            decide_access.handle(ctx, task_variables)
        assert kept.request.status == AccessStatus.PENDING
        decided = access.decide(
            s, kept.request.id, approved=True, decided_by="doorflow", comment=None, decided_at=decided_at,
            grant=policy.grant,
        )  # fmt: skip
        assert decided.status == AccessStatus.APPROVED and decided.decided_by == "doorflow"
