"""Tables of the contracts domain: one contract per order, a new version per (re)draft."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Timestamped
from models.orders.tables import _enum


class ContractStatus(enum.StrEnum):
    LEGAL_REVIEW = "legal_review"
    REVISING = "revising"
    APPROVED = "approved"
    SIGNED = "signed"


class LegalDecision(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class Contract(Timestamped, Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    contract_number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[ContractStatus] = mapped_column(_enum(ContractStatus, "contract_status"))
    total_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    delivery_date: Mapped[date]
    signed_on: Mapped[date | None]
    signed_by: Mapped[str | None] = mapped_column(String(120))  # the customer's signatory
    # What the installments cannot hold after an amendment: paid beyond the new total (to refund) and
    # an increase with no installment left open to carry it (to collect separately). Shown on the amendment.
    credit_due: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"), server_default="0")
    extra_due: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"), server_default="0")

    versions: Mapped[list[ContractVersion]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractVersion.version"
    )


class ContractVersion(Base):
    """A drafted text of the contract with the legal review it received; comments stay with their version."""

    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("contract_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    payment_terms: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    revision_note: Mapped[str | None] = mapped_column(Text)  # what sales changed for this version
    legal_decision: Mapped[LegalDecision | None] = mapped_column(_enum(LegalDecision, "legal_decision"))
    legal_comments: Mapped[str | None] = mapped_column(Text)
    legal_reviewer: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    contract: Mapped[Contract] = relationship(back_populates="versions")
