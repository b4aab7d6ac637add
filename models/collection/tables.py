"""Tables of the payment-collection domain."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Timestamped


class InstallmentKind(enum.StrEnum):
    DEPOSIT = "deposit"
    PROGRESS = "progress"
    FINAL = "final"


class InstallmentStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    OVERDUE = "overdue"
    LEGAL = "legal"
    # Nothing more is owed on it: its order was cancelled (what was paid stays recorded), or a price change left it 0.
    CANCELLED = "cancelled"


class DunningAction(enum.StrEnum):
    """The rungs of the dunning ladder (the DMN table ``dunning-ladder`` orders and times them)."""

    REMINDER = "reminder"
    PHONE = "phone"
    LETTER = "letter"
    VISIT = "visit"


class EmailStatus(enum.StrEnum):
    SENT = "sent"
    NO_ADDRESS = "no_address"  # the customer gave no e-mail address: recorded, not sent
    NOT_CONFIGURED = "not_configured"  # no SMTP host configured


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


class Installment(Timestamped, Base):
    """One payment due under an order's contract (deposit, progress or final payment)."""

    __tablename__ = "installments"
    __table_args__ = (
        UniqueConstraint("order_id", "seq"),
        CheckConstraint("amount > 0 OR status = 'cancelled'", name="amount_positive"),
        CheckConstraint("paid_amount >= 0 AND paid_amount <= amount", name="paid_within_amount"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_number: Mapped[str] = mapped_column(String(32))
    contract_number: Mapped[str | None] = mapped_column(String(60), index=True)
    customer_name: Mapped[str] = mapped_column(String(200), index=True)
    customer_email: Mapped[str | None] = mapped_column(String(254))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … in the order of the payment schedule
    # The payment-collection instance collecting it (Operaton id): a second instance for the same order is refused.
    process_instance_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[InstallmentKind] = mapped_column(_enum(InstallmentKind, "installment_kind"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[InstallmentStatus] = mapped_column(
        _enum(InstallmentStatus, "installment_status"), default=InstallmentStatus.OPEN
    )
    notice_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    overdue_since: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    legal_measure: Mapped[str | None] = mapped_column(String(40))  # what legal decided (form value)
    legal_comment: Mapped[str | None] = mapped_column(Text)

    payments: Mapped[list[Payment]] = relationship(back_populates="installment", order_by="Payment.id")
    dunning_steps: Mapped[list[DunningStep]] = relationship(
        back_populates="installment", order_by="DunningStep.step_no"
    )

    @property
    def closed(self) -> bool:
        """Nothing left to collect: paid in full, or cancelled (by a price change or the order's cancellation)."""
        return self.status in (InstallmentStatus.PAID, InstallmentStatus.CANCELLED)

    @property
    def balance(self) -> Decimal:
        """What the customer still owes; nothing for an installment cancelled with its order."""
        if self.status == InstallmentStatus.CANCELLED:
            return Decimal("0.00")
        return self.amount - self.paid_amount

    @property
    def correlation_key(self) -> str:
        """The value of the local correlation key ``installmentKey`` PaymentReceived is delivered with."""
        return f"INST-{self.id}"


class Payment(Base):
    """Money received for an installment; the external reference (bank/finance) is unique, so a report counts once."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installments.id", ondelete="CASCADE"), index=True)
    external_reference: Mapped[str] = mapped_column(String(120), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    installment: Mapped[Installment] = relationship(back_populates="payments")


class DunningStep(Base):
    """A dunning step taken for an overdue installment, with the reason and the result."""

    __tablename__ = "dunning_steps"
    __table_args__ = (UniqueConstraint("installment_id", "step_no"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installments.id", ondelete="CASCADE"), index=True)
    step_no: Mapped[int] = mapped_column(Integer)
    action: Mapped[DunningAction] = mapped_column(_enum(DunningAction, "dunning_action"))
    channel: Mapped[str] = mapped_column(String(40))  # Chinese, from the DMN table
    title: Mapped[str] = mapped_column(String(120))  # Chinese, from the DMN table
    balance: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # what was outstanding when the step was taken
    reason: Mapped[str] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    taken_by: Mapped[str] = mapped_column(String(120))
    taken_at: Mapped[datetime] = mapped_column(server_default=func.now())

    installment: Mapped[Installment] = relationship(back_populates="dunning_steps")


class CollectionEmail(Base):
    """Every e-mail collection sends or would have sent (no address, no SMTP): the customer file's outbox."""

    __tablename__ = "collection_emails"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installments.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))  # settlement_notice, dunning_reminder_<step no>
    recipient: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[EmailStatus] = mapped_column(_enum(EmailStatus, "email_status"))
    message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CustomerRiskFlag(Base):
    """A credit-risk warning on a customer, raised when an installment went through the whole ladder."""

    __tablename__ = "customer_risk_flags"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_name: Mapped[str] = mapped_column(String(200), index=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installments.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    flagged_at: Mapped[datetime] = mapped_column(server_default=func.now())
    flagged_by: Mapped[str] = mapped_column(String(120))
