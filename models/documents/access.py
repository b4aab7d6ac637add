"""Confidential documents (001 §6): who may read them, the access requests, and the read log.

A document is confidential when a person marked it (``Document.confidential``) or when its kind or
category is in the settings' rules (``DOORFLOW_DOCUMENT_CONFIDENTIAL_KINDS`` / ``_CATEGORIES``), judged
at read time so a changed rule covers the documents already stored. Reading a confidential document
needs an approved request of the reader (process ``document-access``) whose grant has not expired.
Every read and every refused read is a ``document_reads`` row, in the reading transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from doorflow.settings import Settings
from models import audit
from models.documents.pdf import render_pdf
from models.documents.service import get_document
from models.documents.tables import AccessStatus, Document, DocumentAccessRequest, DocumentRead, ReadOutcome
from models.errors import Conflict, InvalidInput, NotFound

PROCESS_ID = "document-access"
Format = Literal["html", "pdf"]
CATEGORY_NAMES = {"contract": "合同类", "project": "项目类", "customer": "客户类"}
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of days, hours, minutes and seconds (``P1D``, ``PT8H``, ``PT30M``)."""
    found = _DURATION.fullmatch(text)
    if found is None or text in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration of days/hours/minutes/seconds: {text!r}")
    parts = {k: int(v) for k, v in found.groupdict(default="0").items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


@dataclass(frozen=True)
class Policy:
    """The factory's confidentiality rules and grant length (settings, never literals)."""

    kinds: frozenset[str]
    categories: frozenset[str]
    owner_groups: dict[str, str]
    grant: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            frozenset(settings.document_confidential_kinds),
            frozenset(settings.document_confidential_categories),
            dict(settings.document_owner_groups),
            parse_duration(settings.document_access_grant_duration),
        )

    def is_confidential(self, doc: Document) -> bool:
        return doc.confidential or doc.kind in self.kinds or doc.category.value in self.categories

    def owner_group(self, doc: Document) -> str:
        group = self.owner_groups.get(doc.category.value)
        if not group:
            raise InvalidInput(("settings", "document_owner_groups"), f"no owner group for category {doc.category}")
        return group


def how_to_request(document_id: int) -> str:
    return (
        f"该文档为保密文档，须经批准后查阅：请在 Tasklist 发起流程“文档查阅申请”（文档编号 {document_id}），"
        f"或调用 POST /documents/{document_id}/access-requests 并说明查阅原因，经文档所属部门批准后在授权期限内查阅。"
    )


def valid_grant(session: Session, document_id: int, reader: str, now: datetime) -> DocumentAccessRequest | None:
    """The reader's approved, unexpired request for the document (the newest grant), if any."""
    return session.scalars(
        select(DocumentAccessRequest)
        .where(
            DocumentAccessRequest.document_id == document_id,
            DocumentAccessRequest.requested_by == reader,
            DocumentAccessRequest.status == AccessStatus.APPROVED,
            DocumentAccessRequest.granted_until > now,
        )
        .order_by(DocumentAccessRequest.granted_until.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class ReadResult:
    doc: Document
    allowed: bool
    refusal: str | None = None

    def body(self, fmt: Format) -> bytes:
        if fmt == "html":
            return self.doc.content.encode("utf-8")
        if self.doc.pdf is None:  # stored before PDFs existed: derived once from the stored HTML, then kept
            self.doc.pdf = render_pdf(self.doc.content)
            self.doc.pdf_filename = self.doc.filename.removesuffix(".html") + ".pdf"
        return self.doc.pdf


def read(
    session: Session,
    document_id: int,
    reader: str | None,
    fmt: Format,
    policy: Policy,
    now: datetime,
    *,
    actor: str | None = None,
) -> ReadResult:
    """Read a document as ``reader``: allowed, or refused for want of a valid grant. Both are logged.

    Refusal is a result, not an exception: the caller commits the log entry and then answers 403.
    """
    doc = get_document(session, document_id)
    confidential = policy.is_confidential(doc)
    grant = valid_grant(session, doc.id, reader, now) if confidential and reader else None
    refusal = how_to_request(doc.id) if confidential and grant is None else None
    outcome = ReadOutcome.READ if refusal is None else ReadOutcome.REFUSED
    session.add(
        DocumentRead(
            document_id=doc.id,
            reader=reader,
            outcome=outcome,
            format=fmt,
            confidential=confidential,
            access_request_id=grant.id if grant else None,
            refusal_reason=refusal,
            read_at=now,
        )
    )
    audit.record(
        session,
        actor=actor or reader or "anonymous",  # the audit names the caller as the API authenticated them
        action="document.read" if refusal is None else "document.read_refused",
        entity="document",
        entity_id=doc.id,
        after={"format": fmt, "access_request_id": grant.id if grant else None} if confidential else None,
    )
    return ReadResult(doc, refusal is None, refusal)


def set_confidential(session: Session, document_id: int, confidential: bool, actor: str) -> Document:
    doc = get_document(session, document_id)
    before = doc.confidential
    doc.confidential = confidential
    audit.record(
        session,
        actor=actor,
        action="document.confidentiality_set",
        entity="document",
        entity_id=doc.id,
        before={"confidential": before},
        after={"confidential": confidential},
    )
    return doc


def check_requestable(session: Session, document_id: int, requester: str | None, policy: Policy) -> Document:
    """A request needs a named requester and a confidential document (another one is read without asking)."""
    if not requester:
        raise InvalidInput(("header", "x-doorflow-user"), "查阅申请须注明申请人")
    doc = get_document(session, document_id)
    if not policy.is_confidential(doc):
        raise Conflict(f"文档 {doc.id} 不是保密文档，无需申请即可查阅")
    return doc


@dataclass(frozen=True)
class Registered:
    request: DocumentAccessRequest
    document: Document


def register_request(
    session: Session,
    *,
    document_id: int,
    requested_by: str,
    reason: str,
    process_instance_id: str,
    policy: Policy,
) -> Registered:
    """Keep the request of one process instance (again for a re-delivered task: the same row)."""
    existing = session.scalar(
        select(DocumentAccessRequest).where(DocumentAccessRequest.process_instance_id == process_instance_id)
    )
    if existing is not None:
        return Registered(existing, get_document(session, existing.document_id))
    if not reason.strip():
        raise InvalidInput(("accessReason",), "必须填写查阅原因")
    doc = check_requestable(session, document_id, requested_by, policy)
    request = DocumentAccessRequest(
        document_id=doc.id,
        requested_by=requested_by,
        reason=reason.strip(),
        owner_group=policy.owner_group(doc),
        process_instance_id=process_instance_id,
        status=AccessStatus.PENDING,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=requested_by,
        action="document.access_requested",
        entity="document",
        entity_id=doc.id,
        after={"access_request_id": request.id, "reason": request.reason, "owner_group": request.owner_group},
    )
    return Registered(request, doc)


def get_request(session: Session, request_id: int) -> DocumentAccessRequest:
    request = session.get(DocumentAccessRequest, request_id)
    if request is None:
        raise NotFound("document access request", request_id)
    return request


def decide(
    session: Session,
    request_id: int,
    *,
    approved: bool,
    decided_by: str,
    comment: str | None,
    decided_at: datetime,
    grant: timedelta,
) -> DocumentAccessRequest:
    """The owner group's decision; an approval grants reading until ``decided_at + grant`` (engine time).

    ``decided_by`` is the user the engine authenticated for the approval task's completion (never a typed
    name). Four eyes: the requester cannot decide their own request (the engine refuses it first; this is
    the store's own guard).
    """
    request = get_request(session, request_id)
    if request.status != AccessStatus.PENDING:
        return request  # decided already (a re-delivered task)
    if not decided_by.strip():
        raise Conflict(f"查阅申请 {request.id} 没有审批人：审批须由登录的用户完成")
    if decided_by.strip() == request.requested_by:
        raise Conflict(f"查阅申请 {request.id} 不能由申请人 {request.requested_by} 本人审批（四眼原则）")
    request.status = AccessStatus.APPROVED if approved else AccessStatus.REFUSED
    request.decided_by, request.decision_comment, request.decided_at = decided_by, comment, decided_at
    request.granted_until = decided_at + grant if approved else None
    audit.record(
        session,
        actor=decided_by,
        action="document.access_approved" if approved else "document.access_refused",
        entity="document",
        entity_id=request.document_id,
        after={
            "access_request_id": request.id,
            "requested_by": request.requested_by,
            "granted_until": request.granted_until.isoformat() if request.granted_until else None,
            "comment": comment,
        },
    )
    return request


def expire(session: Session, request_id: int, at: datetime, actor: str) -> DocumentAccessRequest:
    """The grant's timer fired: the grant ends now, whatever ``granted_until`` says."""
    request = get_request(session, request_id)
    if request.status == AccessStatus.APPROVED:
        request.status, request.expired_at = AccessStatus.EXPIRED, at
        audit.record(
            session,
            actor=actor,
            action="document.access_expired",
            entity="document",
            entity_id=request.document_id,
            after={"access_request_id": request.id, "requested_by": request.requested_by},
        )
    return request


def list_requests(session: Session, document_id: int) -> list[DocumentAccessRequest]:
    get_document(session, document_id)
    return list(
        session.scalars(
            select(DocumentAccessRequest)
            .where(DocumentAccessRequest.document_id == document_id)
            .order_by(DocumentAccessRequest.id)
        )
    )


@dataclass(frozen=True)
class ReadLog:
    reads: int
    refusals: int
    entries: list[tuple[DocumentRead, Document]]


def read_log(
    session: Session,
    *,
    start: datetime | None,
    end: datetime | None,
    document_id: int | None,
    reader: str | None,
    outcome: ReadOutcome | None,
    confidential_only: bool,
    limit: int,
) -> ReadLog:
    """The read log for the dashboard: counts over the filter and the newest ``limit`` entries."""
    conditions = []
    if start is not None:
        conditions.append(DocumentRead.read_at >= start)
    if end is not None:
        conditions.append(DocumentRead.read_at < end)
    if document_id is not None:
        conditions.append(DocumentRead.document_id == document_id)
    if reader is not None:
        conditions.append(DocumentRead.reader == reader)
    if confidential_only:
        conditions.append(DocumentRead.confidential.is_(True))
    counts: dict[ReadOutcome, int] = {
        row[0]: row[1]
        for row in session.execute(
            select(DocumentRead.outcome, func.count()).where(*conditions).group_by(DocumentRead.outcome)
        )
    }
    if outcome is not None:
        conditions.append(DocumentRead.outcome == outcome)
    rows = session.execute(
        select(DocumentRead, Document)
        .join(Document, Document.id == DocumentRead.document_id)
        .where(*conditions)
        .order_by(DocumentRead.read_at.desc(), DocumentRead.id.desc())
        .limit(limit)
    ).all()
    return ReadLog(counts.get(ReadOutcome.READ, 0), counts.get(ReadOutcome.REFUSED, 0), [(r, d) for r, d in rows])
