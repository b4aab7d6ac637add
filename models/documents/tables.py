"""Stored documents (contract, handover sheet, work order, certificates, notices …)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from models.db import Base


class DocumentCategory(enum.StrEnum):
    """The policy's filing categories (001 §6): contract, project and customer files."""

    CONTRACT = "contract"
    PROJECT = "project"
    CUSTOMER = "customer"


class Document(Base):
    __tablename__ = "documents"
    # One version per (subject, kind): re-rendering a document makes a new version, never overwrites.
    __table_args__ = (UniqueConstraint("subject", "kind", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(80))  # what it is about, e.g. "order:12", "installment:7"
    kind: Mapped[str] = mapped_column(String(40))  # contract, handover_sheet, work_order, …
    category: Mapped[DocumentCategory] = mapped_column(
        Enum(
            DocumentCategory,
            name="document_category",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=20,
        )
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))  # Chinese, shown to people
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(80), default="text/html; charset=utf-8")
    template: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The same document as PDF (WeasyPrint, Noto CJK fonts), rendered in the storing transaction. Deferred:
    # listing documents does not load the bytes.
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_filename: Mapped[str | None] = mapped_column(String(200))
    # Marked confidential by a person (PUT /documents/{id}/confidentiality); the settings' kind and category
    # rules make further documents confidential at read time.
    confidential: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


class AccessStatus(enum.StrEnum):
    """A request to read a confidential document (document-access.bpmn)."""

    PENDING = "pending"  # waiting for the owner group's approval
    APPROVED = "approved"  # granted until ``granted_until``
    REFUSED = "refused"
    EXPIRED = "expired"  # the grant's timer fired


class DocumentAccessRequest(Base):
    """《文档查阅申请表》 (001 §6): who asks to read which confidential document, why, and the decision."""

    __tablename__ = "document_access_requests"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str] = mapped_column(String(120), index=True)
    reason: Mapped[str] = mapped_column(Text)
    owner_group: Mapped[str] = mapped_column(String(80))
    process_instance_id: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[AccessStatus] = mapped_column(_enum(AccessStatus, "document_access_status"))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    granted_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReadOutcome(enum.StrEnum):
    READ = "read"
    REFUSED = "refused"


class DocumentRead(Base):
    """Every read of a document and every refused read: who, when, which format, under which grant."""

    __tablename__ = "document_reads"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    reader: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[ReadOutcome] = mapped_column(_enum(ReadOutcome, "document_read_outcome"))
    format: Mapped[str] = mapped_column(String(10))  # html or pdf
    confidential: Mapped[bool] = mapped_column(Boolean)
    access_request_id: Mapped[int | None] = mapped_column(ForeignKey("document_access_requests.id"))
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
