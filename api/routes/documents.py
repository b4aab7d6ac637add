"""Documents: list an order's documents, read one's metadata, download its content."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Response

from api.auth import CallerDep
from api.deps import SessionDep
from models.documents import service
from models.documents.schemas import DocumentOut
from models.types import Id

router = APIRouter(tags=["documents"])


@router.get(
    "/orders/{order_id}/documents",
    summary="Every document of an order, oldest first",
    responses={404: {"description": "No such order."}},
)
def list_order_documents(order_id: Id, session: SessionDep) -> list[DocumentOut]:
    return [DocumentOut.model_validate(d) for d in service.list_documents(session, order_id=order_id)]


@router.get(
    "/documents/{document_id}", summary="One document's metadata", responses={404: {"description": "No such document."}}
)
def get_document(document_id: Id, session: SessionDep) -> DocumentOut:
    return DocumentOut.model_validate(service.get_document(session, document_id))


@router.get(
    "/documents/{document_id}/content",
    summary="Download a document (HTML, printable); the read is logged in the audit trail",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}, 404: {"description": "No such document."}},
)
def download_document(document_id: Id, session: SessionDep, caller: CallerDep) -> Response:
    doc = service.read_document(session, document_id, actor=caller.actor)
    disposition = f"attachment; filename*=UTF-8''{quote(doc.filename)}"
    return Response(content=doc.content, media_type=doc.media_type, headers={"Content-Disposition": disposition})
