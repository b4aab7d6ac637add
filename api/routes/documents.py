"""Documents: list an order's documents, read one's metadata, download it (HTML or PDF), confidential access."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Response, status
from fastapi.responses import JSONResponse

from api.auth import Caller, CallerDep
from api.deps import EngineDep, SessionDep, SettingsDep
from api.idempotency import IDEMPOTENT, IdempotentRoute
from models.documents import access, service
from models.documents.schemas import (
    AccessRequestIn,
    AccessRequestOut,
    AccessRequestStarted,
    ConfidentialityIn,
    DocumentOut,
    DocumentReadOut,
    DocumentReadsReport,
    DocumentView,
)
from models.documents.tables import Document, ReadOutcome
from models.types import Id, Line

router = APIRouter(tags=["documents"], route_class=IdempotentRoute)


def document_reader(caller: CallerDep) -> str | None:
    """Who reads or asks: the ONE place that names the caller for documents (grants, the read log).

    It is the authenticated engine user id, which is also who starts a request from Tasklist.
    """
    return caller.user_id


ReaderDep = Annotated[str | None, Depends(document_reader)]

REFUSED: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "A confidential document without a valid grant of the reader: the detail says how to "
        "request access (Tasklist process 文档查阅申请, or POST /documents/{id}/access-requests). "
        "The refusal is logged."
    }
}


def _view(doc: Document, policy: access.Policy) -> DocumentView:
    out = DocumentOut.model_validate(doc).model_dump()
    return DocumentView(**out, confidential=policy.is_confidential(doc), pdf_filename=doc.pdf_filename)


def _download(
    session: SessionDep, settings: SettingsDep, document_id: int, caller: Caller, fmt: access.Format
) -> Response:
    policy = access.Policy.from_settings(settings)
    result = access.read(
        session, document_id, document_reader(caller), fmt, policy, datetime.now(UTC), actor=caller.actor
    )
    if not result.allowed:
        # Returned, not raised: the refusal's log entry commits with the request's transaction.
        return JSONResponse(
            status_code=status.HTTP_403_FORBIDDEN,
            content={
                "detail": result.refusal,
                "request_access": {
                    "method": "POST",
                    "path": f"/documents/{document_id}/access-requests",
                    "process": access.PROCESS_ID,
                },
            },
        )
    doc = result.doc
    body = result.body(fmt)
    filename = (doc.pdf_filename or doc.filename) if fmt == "pdf" else doc.filename
    media_type = "application/pdf" if fmt == "pdf" else doc.media_type
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content=body, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get(
    "/orders/{order_id}/documents",
    summary="Every document of an order, oldest first",
    responses={404: {"description": "No such order."}},
)
def list_order_documents(order_id: Id, session: SessionDep, settings: SettingsDep) -> list[DocumentView]:
    policy = access.Policy.from_settings(settings)
    return [_view(d, policy) for d in service.list_documents(session, order_id=order_id)]


# Declared before /documents/{document_id}: that pattern would otherwise take "12.pdf" as an id.
@router.get(
    "/documents/{document_id}.pdf",
    summary="Download a document as PDF (A4, Noto CJK fonts); the read is logged",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "No such document."}, **REFUSED},
)
def download_pdf(document_id: Id, session: SessionDep, settings: SettingsDep, caller: CallerDep) -> Response:
    return _download(session, settings, document_id, caller, "pdf")


@router.get(
    "/documents/{document_id}", summary="One document's metadata", responses={404: {"description": "No such document."}}
)
def get_document(document_id: Id, session: SessionDep, settings: SettingsDep) -> DocumentView:
    return _view(service.get_document(session, document_id), access.Policy.from_settings(settings))


@router.get(
    "/documents/{document_id}/content",
    summary="Download a document: HTML (printable), or PDF with Accept: application/pdf; the read is logged",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}, "application/pdf": {}}},
        404: {"description": "No such document."},
        **REFUSED,
    },
)
def download_document(
    document_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    return _download(session, settings, document_id, caller, "pdf" if _wants_pdf(accept) else "html")


def _wants_pdf(accept: str | None) -> bool:
    """PDF when the client prefers it to HTML (``Accept: application/pdf``); HTML otherwise, as before."""
    if not accept:
        return False
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        weights[media.lower()] = max(q, weights.get(media.lower(), 0.0))
    pdf = weights.get("application/pdf", 0.0)
    html = max(weights.get("text/html", 0.0), weights.get("text/*", 0.0), weights.get("*/*", 0.0))
    return pdf > 0 and pdf > html


@router.put(
    "/documents/{document_id}/confidentiality",
    summary="Mark a document confidential (or not); the settings' kind and category rules apply on top",
    responses={404: {"description": "No such document."}},
)
def set_confidentiality(
    document_id: Id, body: ConfidentialityIn, session: SessionDep, settings: SettingsDep, caller: CallerDep
) -> DocumentView:
    doc = access.set_confidential(session, document_id, body.confidential, actor=caller.actor)
    return _view(doc, access.Policy.from_settings(settings))


@router.post(
    "/documents/{document_id}/access-requests",
    status_code=status.HTTP_201_CREATED,
    dependencies=[IDEMPOTENT],
    summary="Ask to read a confidential document: starts the approval process 文档查阅申请 (document-access)",
    responses={
        404: {"description": "No such document."},
        409: {"description": "The document is not confidential: read it without asking."},
        422: {"description": "No reason, or no requester named."},
        503: {"description": "The engine is unreachable; nothing started, retry later."},
    },
)
def request_access(
    document_id: Id,
    body: AccessRequestIn,
    session: SessionDep,
    settings: SettingsDep,
    engine: EngineDep,
    reader: ReaderDep,
) -> AccessRequestStarted:
    doc = access.check_requestable(session, document_id, reader, access.Policy.from_settings(settings))
    assert reader is not None  # checked above
    variables = {"documentId": doc.id, "accessReason": body.reason, "requestedBy": reader}
    instance = engine.start_process(access.PROCESS_ID, f"document:{doc.id}", variables)
    return AccessRequestStarted(
        document_id=doc.id, process_instance_id=instance, requested_by=reader, reason=body.reason
    )


@router.get(
    "/documents/{document_id}/access-requests",
    summary="The requests to read a document, with their decisions and grants",
    responses={404: {"description": "No such document."}},
)
def list_access_requests(document_id: Id, session: SessionDep) -> list[AccessRequestOut]:
    return [AccessRequestOut.model_validate(r) for r in access.list_requests(session, document_id)]


@router.get("/reports/document-reads", tags=["reports"], summary="The document read log: every read and refusal")
def document_reads(
    session: SessionDep,
    start: Annotated[datetime | None, Query(description="From (inclusive), ISO date-time")] = None,
    end: Annotated[datetime | None, Query(description="Until (exclusive), ISO date-time")] = None,
    document_id: Id | None = None,
    reader: Annotated[Line | None, Query(max_length=120)] = None,
    outcome: ReadOutcome | None = None,
    confidential_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> DocumentReadsReport:
    log = access.read_log(
        session,
        start=start,
        end=end,
        document_id=document_id,
        reader=reader,
        outcome=outcome,
        confidential_only=confidential_only,
        limit=limit,
    )
    return DocumentReadsReport(
        reads=log.reads,
        refusals=log.refusals,
        entries=[
            DocumentReadOut(
                id=r.id,
                document_id=r.document_id,
                document_title=d.title,
                document_kind=d.kind,
                category=d.category,
                reader=r.reader,
                outcome=r.outcome,
                format=r.format,
                confidential=r.confidential,
                access_request_id=r.access_request_id,
                refusal_reason=r.refusal_reason,
                read_at=r.read_at,
            )
            for r, d in log.entries
        ],
    )
