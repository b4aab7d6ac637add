"""What the API says about a document (its content is downloaded separately)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from models.documents.tables import AccessStatus, DocumentCategory, ReadOutcome
from models.types import Text


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int | None
    subject: str
    kind: str
    category: DocumentCategory
    version: int
    title: str
    filename: str
    media_type: str
    created_by: str
    created_at: datetime


class DocumentView(DocumentOut):
    """A document's metadata with its effective confidentiality (flag or the settings' rules) and PDF name."""

    confidential: bool
    pdf_filename: str | None


class ConfidentialityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confidential: bool


class AccessRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=1, max_length=2000, description="Why the reader needs the document (查阅原因).")


class AccessRequestStarted(BaseModel):
    """The request's process instance; the request itself is kept by its first step (GET …/access-requests)."""

    document_id: int
    process_instance_id: str
    requested_by: str
    reason: str


class AccessRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    document_id: int
    requested_by: str
    reason: str
    owner_group: str
    process_instance_id: str
    status: AccessStatus
    decided_by: str | None
    decision_comment: str | None
    decided_at: datetime | None
    granted_until: datetime | None
    expired_at: datetime | None
    created_at: datetime


class DocumentReadOut(BaseModel):
    id: int
    document_id: int
    document_title: str
    document_kind: str
    category: DocumentCategory
    reader: str | None
    outcome: ReadOutcome
    format: str
    confidential: bool
    access_request_id: int | None
    refusal_reason: str | None
    read_at: datetime


class DocumentReadsReport(BaseModel):
    reads: int
    refusals: int
    entries: list[DocumentReadOut]
