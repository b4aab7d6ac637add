"""Stored documents (contract, handover sheet, work order, certificates, notices …)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

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
