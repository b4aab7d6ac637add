"""What the API says about a document (its content is downloaded separately)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from models.documents.tables import DocumentCategory


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
