"""Collection services: installments from the payment schedule, notices, payments, the dunning ladder, risk.

PostgreSQL is the truth about money: messages to the engine only wake the process up, and every
worker step re-reads the installment (locked) before acting, so a lost, late or repeated message
can neither pay twice nor dun a customer who has paid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from doorflow.mail import Mail, MailNotConfigured
from doorflow.settings import Settings
from models import audit, outbox
from models.collection.schemas import (
    AgeingBucket,
    CollectionReport,
    CustomerCollectionOut,
    InstallmentOut,
    PaymentIn,
    PaymentOut,
    PaymentResult,
    RiskFlagOut,
    ScheduleItem,
)
from models.collection.tables import (
    CollectionEmail,
    CustomerRiskFlag,
    DunningAction,
    DunningStep,
    EmailStatus,
    Installment,
    InstallmentKind,
    InstallmentStatus,
    Payment,
)
from models.contracts import service as contracts
from models.contracts.service import ContractTerms
from models.contracts.tables import Contract
from models.documents import service as documents
from models.documents.tables import DocumentCategory
from models.errors import Conflict, InvalidInput, NotFound
from models.ops import service as ops
from models.orders.tables import Order
from models.risks import service as risks
from models.risks.tables import RiskSource

PROCESS_ID = "payment-collection"
PAYMENT_MESSAGE = "PaymentReceived"  # correlated by business key (order number) + the local key below
PAYMENT_LOCAL_KEY = "installmentKey"  # local variable of the installment's round: Installment.correlation_key
DEPOSIT_MESSAGE = "DepositReceived"  # door-order waits for it (business key: the order number)
SETTLED_ERROR = "INSTALLMENT_SETTLED"  # BPMN error code: the installment is paid, stop whatever it was doing
KIND_NAMES = {InstallmentKind.DEPOSIT: "定金", InstallmentKind.PROGRESS: "进度款", InstallmentKind.FINAL: "尾款"}
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# Sends one e-mail and returns its Message-ID; raises MailNotConfigured when there is no SMTP server.
Mailer = Callable[[Mail], str]
# Tells the engine about a recorded payment (PaymentReceived, and DepositReceived when ``deposit_settled``).
PaymentPublisher = Callable[[Installment, Payment, bool], None]


class InstallmentSettled(Exception):
    """The installment is fully paid: the process step asking for money has nothing left to do."""


@dataclass(frozen=True)
class Schedule:
    """When the engine's timers fire for an installment, in the factory's local time."""

    notice_days_before_due: int
    notice_time: time
    utc_offset: tzinfo  # the factory's zone (a fixed offset in tests)

    @classmethod
    def parse(cls, notice_days_before_due: int, notice_time: str, utc_offset: str) -> Schedule:
        sign = -1 if utc_offset.startswith("-") else 1
        hours, _, minutes = utc_offset.lstrip("+-").partition(":")
        offset = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))
        return cls(notice_days_before_due, time.fromisoformat(notice_time), offset)

    @classmethod
    def from_settings(cls, settings: Settings) -> Schedule:
        return cls(
            settings.collection_notice_days_before_due,
            time.fromisoformat(settings.collection_notice_time),
            ZoneInfo(settings.factory_timezone),
        )

    def notice_at(self, due: date) -> datetime:
        return datetime.combine(due - timedelta(days=self.notice_days_before_due), self.notice_time, self.utc_offset)

    def overdue_at(self, due: date) -> datetime:
        """The due date is the last day to pay: overdue from the start of the next local day."""
        return datetime.combine(due + timedelta(days=1), time(0, 0), self.utc_offset)


@dataclass(frozen=True)
class Payee:
    """Who the customer pays (printed on notices and letters)."""

    name: str
    bank: str
    account: str
    phone: str


@dataclass(frozen=True)
class LadderStep:
    """One row of the DMN table ``dunning-ladder``, as the business rule task returned it."""

    action: DunningAction
    channel: str
    title: str


def _money(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def _cn_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


# --- installments -------------------------------------------------------------------------------


def contract_schedule(session: Session, order_id: int, terms: ContractTerms) -> list[ScheduleItem]:
    """The payment schedule of the order's signed contract (``contracts.payment_schedule``) as installments.

    A term of zero (a ratio set to 0) is nothing to collect and gets no installment. door-order calls
    collection only after the signature, so an order without a signed contract, or a term the schedule
    cannot hold, is bad data that waiting cannot fix: InvalidInput (an incident at once).
    """
    try:
        terms_due = contracts.payment_schedule(session, order_id, terms)
    except (NotFound, Conflict) as exc:
        raise InvalidInput(("orderId",), f"order {order_id} has no signed contract to collect: {exc}") from exc
    schedule: list[ScheduleItem] = []
    for term in terms_due:
        try:
            kind = InstallmentKind(str(term.get("kind")))
            amount = Decimal(str(term.get("amount")))
            if amount == 0:
                continue
            schedule.append(ScheduleItem(kind=kind, amount=amount, due_date=date.fromisoformat(str(term["dueDate"]))))
        except (KeyError, ValueError, ArithmeticError, ValidationError) as exc:
            raise InvalidInput(
                ("paymentTerms",), f"the contract of order {order_id} has an unusable term {term!r}"
            ) from exc
    return schedule


def register_installments(
    session: Session,
    *,
    order_id: int,
    order_number: str,
    schedule: Sequence[ScheduleItem],
    contract_number: str | None,
    customer_name: str,
    customer_email: str | None,
    actor: str,
    process_instance_id: str | None = None,
) -> dict[str, Any]:
    """Store the order's installments once and return how many rounds the diagram runs (``installmentCount``).

    A repeated call of the same process stores nothing and returns the same count. Another process
    instance collecting the same order would send every notice and reminder twice, so it is refused
    (InvalidInput on ``orderId``: the job becomes an incident at once, nothing stored).
    """
    if session.get(Order, order_id) is None:
        raise NotFound("order", order_id)
    existing = _installments_of_order(session, order_id)
    if existing:
        owner = existing[0].process_instance_id
        if owner is not None and process_instance_id is not None and owner != process_instance_id:
            raise InvalidInput(("orderId",), f"order {order_id} is already being collected by process instance {owner}")
        return {"installmentCount": len(existing)}
    if not schedule:
        raise InvalidInput(("paymentSchedule",), "must list at least one installment")
    for i, item in enumerate(schedule, start=1):
        inst = Installment(
            order_id=order_id,
            order_number=order_number,
            contract_number=contract_number,
            customer_name=customer_name,
            customer_email=customer_email or None,
            seq=i,
            process_instance_id=process_instance_id,
            kind=item.kind,
            amount=item.amount,
            paid_amount=ZERO,
            due_date=item.due_date,
            status=InstallmentStatus.OPEN,
        )
        session.add(inst)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="installment.created",
            entity="installment",
            entity_id=inst.id,
            after={
                "order_id": order_id,
                "kind": inst.kind.value,
                "amount": str(inst.amount),
                "due": str(inst.due_date),
            },
        )
    return {"installmentCount": len(schedule)}


def load_installment(session: Session, order_id: int, index: int, timing: Schedule) -> dict[str, Any]:
    """One multi-instance round's installment (``index`` = the engine's 0-based ``loopCounter``).

    The values become the round's local variables: its keys, what the forms show, and the two Dates
    its timers wait for. A paid installment has nothing to wait for (InstallmentSettled).
    """
    inst = session.scalars(
        select(Installment).where(Installment.order_id == order_id, Installment.seq == index + 1)
    ).first()
    if inst is None:
        raise InvalidInput(("loopCounter",), f"order {order_id} has no installment no. {index + 1}")
    if inst.closed:
        raise InstallmentSettled(inst.id)
    return {
        "installmentId": inst.id,
        PAYMENT_LOCAL_KEY: inst.correlation_key,
        "installmentKind": inst.kind.value,
        "amount": inst.amount,
        "dueDate": inst.due_date,
        "noticeAt": timing.notice_at(inst.due_date),
        "overdueAt": timing.overdue_at(inst.due_date),
    }


def _installments_of_order(session: Session, order_id: int) -> list[Installment]:
    query = _with_details(select(Installment)).where(Installment.order_id == order_id).order_by(Installment.seq)
    return list(session.scalars(query))


def _with_details(query: Select[tuple[Installment]]) -> Select[tuple[Installment]]:
    return query.options(selectinload(Installment.payments), selectinload(Installment.dunning_steps))


def _locked(session: Session, installment_id: int) -> Installment:
    """The installment, row-locked: waits for a payment being recorded concurrently to commit, then sees it."""
    inst = session.scalars(
        select(Installment)
        .where(Installment.id == installment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if inst is None:
        raise NotFound("installment", installment_id)
    return inst


def list_installments(
    session: Session, *, order_id: int | None = None, contract_number: str | None = None
) -> list[Installment]:
    query = _with_details(select(Installment)).order_by(Installment.order_id, Installment.seq)
    if order_id is not None:
        if session.get(Order, order_id) is None:
            raise NotFound("order", order_id)
        query = query.where(Installment.order_id == order_id)
    if contract_number is not None:
        query = query.where(Installment.contract_number == contract_number)
    rows = list(session.scalars(query))
    if contract_number is not None and not rows:
        # No installments yet is an empty list; no such contract is a 404.
        known = session.scalar(select(Contract.id).where(Contract.contract_number == contract_number))
        if known is None:
            raise NotFound("contract", contract_number)
    return rows


def get_installment(session: Session, installment_id: int) -> Installment:
    inst = session.scalars(_with_details(select(Installment)).where(Installment.id == installment_id)).first()
    if inst is None:
        raise NotFound("installment", installment_id)
    return inst


# --- e-mail -------------------------------------------------------------------------------------


NOTICE_PURPOSE = "settlement_notice"


def _reminder_purpose(step_no: int) -> str:
    """Each reminder rung is its own e-mail: the ladder (DMN) may send more than one reminder."""
    return f"dunning_reminder_{step_no}"


def _sent_email(session: Session, installment_id: int, purpose: str) -> CollectionEmail | None:
    """The e-mail already sent to the customer for this purpose, if any.

    Callers hold the installment's row lock (``_locked``), so two deliveries of the same step
    serialize: the second one waits for the first to commit and then finds its row here.
    """
    return session.scalars(
        select(CollectionEmail)
        .where(
            CollectionEmail.installment_id == installment_id,
            CollectionEmail.purpose == purpose,
            CollectionEmail.status == EmailStatus.SENT,
        )
        .order_by(CollectionEmail.id)
        .limit(1)
    ).first()


def _email(
    session: Session, inst: Installment, purpose: str, mail_subject: str, html: str, text: str, mailer: Mailer
) -> EmailStatus:
    """Send to the customer once per purpose, if there is an address and an SMTP server; record each attempt.

    An e-mail cannot be taken back, so a repeated step (redelivered job, re-run) answers with the
    earlier sending instead of mailing the customer again. Attempts that sent nothing (no address,
    no SMTP server) are recorded but do not count as sent, so a later run can still send.
    """
    if _sent_email(session, inst.id, purpose) is not None:
        return EmailStatus.SENT
    message_id: str | None = None
    if not inst.customer_email:
        status = EmailStatus.NO_ADDRESS
    else:
        try:
            # Purpose and installment make it stable for this message; the database's UUID makes it unique
            # across databases (installment 1 exists in every one of them).
            ref = f"{purpose}.{inst.id}.{ops.database_uuid(session)}"
            mail = Mail(to=inst.customer_email, subject=mail_subject, html=html, text=text, ref=ref)
            message_id = mailer(mail)
            status = EmailStatus.SENT
        except MailNotConfigured:
            status = EmailStatus.NOT_CONFIGURED
    session.add(
        CollectionEmail(
            installment_id=inst.id,
            purpose=purpose,
            recipient=inst.customer_email,
            subject=mail_subject,
            status=status,
            message_id=message_id,
        )
    )
    session.flush()
    return status


def _document_context(inst: Installment, payee: Payee, **extra: Any) -> dict[str, Any]:
    return {
        "inst": inst,
        "kind_name": KIND_NAMES[inst.kind],
        "payee": payee,
        "payments": list(inst.payments),
        **extra,
    }


# --- settlement notice --------------------------------------------------------------------------


def send_settlement_notice(
    session: Session, installment_id: int, *, payee: Payee, mailer: Mailer, actor: str
) -> dict[str, Any]:
    """Render the settlement notice (结算通知单), keep it as a document and e-mail it to the customer.

    Once the notice went out, a repeated call returns the first result: no new document version, no
    second e-mail. The installment row is locked first, so concurrent deliveries serialize.
    """
    inst = _locked(session, installment_id)
    if inst.closed:
        raise InstallmentSettled(installment_id)
    if (earlier := _sent_email(session, inst.id, NOTICE_PURPOSE)) is not None:
        return {"noticeDocumentId": inst.notice_document_id, "noticeEmail": earlier.status.value}
    doc = documents.store(
        session,
        subject=f"installment:{inst.id}",
        kind="settlement_notice",
        category=DocumentCategory.CUSTOMER,
        title=f"结算通知单（{inst.order_number} 第{inst.seq}期 {KIND_NAMES[inst.kind]}）",
        template="settlement-notice.html.j2",
        context=_document_context(inst, payee),
        actor=actor,
        order_id=inst.order_id,
    )
    inst.notice_document_id = doc.id
    mail_subject = (
        f"结算通知单：订单{inst.order_number} 第{inst.seq}期{KIND_NAMES[inst.kind]} "
        f"{_money(inst.balance)}，请于{_cn_date(inst.due_date)}前支付"
    )
    text = (
        f"{inst.customer_name}：\n\n您好，订单{inst.order_number}"
        f"{'（合同' + inst.contract_number + '）' if inst.contract_number else ''}"
        f"第{inst.seq}期{KIND_NAMES[inst.kind]}应付金额{_money(inst.amount)}，"
        f"尚欠{_money(inst.balance)}，付款截止日期{_cn_date(inst.due_date)}。\n"
        f"收款单位：{payee.name}\n开户银行：{payee.bank}\n账号：{payee.account}\n"
        f"如有疑问请致电财务部 {payee.phone}。\n"
    )
    status = _email(session, inst, NOTICE_PURPOSE, mail_subject, doc.content, text, mailer)
    audit.record(
        session,
        actor=actor,
        action="installment.notice_sent",
        entity="installment",
        entity_id=inst.id,
        after={"document_id": doc.id, "email": status.value},
    )
    return {"noticeDocumentId": doc.id, "noticeEmail": status.value}


# --- overdue and the dunning ladder -------------------------------------------------------------


def mark_overdue(session: Session, installment_id: int, overdue_at: datetime, *, actor: str) -> dict[str, Any]:
    inst = _locked(session, installment_id)
    if inst.closed:
        raise InstallmentSettled(installment_id)
    if inst.status == InstallmentStatus.OPEN:
        inst.status = InstallmentStatus.OVERDUE
        inst.overdue_since = overdue_at
        audit.record(
            session,
            actor=actor,
            action="installment.overdue",
            entity="installment",
            entity_id=inst.id,
            before={"status": "open"},
            after={"status": "overdue", "balance": str(inst.balance)},
        )
        risks.raise_auto(
            session,
            inst.order_id,
            RiskSource.INSTALLMENT_OVERDUE,
            inst.id,
            f"回款逾期：第 {inst.seq} 期{KIND_NAMES[inst.kind]}，欠款 {_money(inst.balance)}",
            f"到期日 {inst.due_date}",
            "按催收阶梯催收（邮件、电话、函件、上门）",
            actor=actor,
        )
    return {"stepNo": 1}


def check_settled(session: Session, installment_id: int) -> Decimal:
    """After a PaymentReceived message: raise InstallmentSettled when paid in full, else return the balance."""
    inst = _locked(session, installment_id)
    if inst.closed:
        raise InstallmentSettled(installment_id)
    return inst.balance


def take_dunning_step(
    session: Session,
    installment_id: int,
    step_no: int,
    step: LadderStep,
    *,
    reason: str | None,
    result: str | None,
    payee: Payee,
    mailer: Mailer,
    actor: str,
    promised_pay_date: str | None = None,
    visited_person: str | None = None,
) -> dict[str, Any]:
    """Carry out (reminder e-mail, formal letter) or record (phone call, visit) one rung of the ladder."""
    inst = _locked(session, installment_id)
    if inst.closed:
        raise InstallmentSettled(installment_id)
    done = session.scalars(
        select(DunningStep).where(DunningStep.installment_id == inst.id, DunningStep.step_no == step_no)
    ).first()
    if done is None:
        system_reason = f"逾期未付：应付{_money(inst.amount)}，已付{_money(inst.paid_amount)}"
        document_id: int | None = None
        outcome = result
        recorded_reason = system_reason  # automatic steps; a call or visit records what the customer said
        if step.action in (DunningAction.REMINDER, DunningAction.LETTER):
            doc = documents.store(
                session,
                subject=f"installment:{inst.id}",
                kind=f"dunning_{step.action.value}",
                category=DocumentCategory.CUSTOMER,
                title=f"{step.title}（{inst.order_number} 第{inst.seq}期）",
                template="dunning-notice.html.j2",
                context=_document_context(inst, payee, step=step, step_no=step_no),
                actor=actor,
                order_id=inst.order_id,
            )
            document_id = doc.id
            if step.action == DunningAction.REMINDER:
                mail_subject = (
                    f"付款提醒：订单{inst.order_number} 第{inst.seq}期{KIND_NAMES[inst.kind]}已逾期，"
                    f"尚欠{_money(inst.balance)}"
                )
                text = (
                    f"{inst.customer_name}：\n\n订单{inst.order_number}第{inst.seq}期{KIND_NAMES[inst.kind]}"
                    f"已于{_cn_date(inst.due_date)}到期，尚欠{_money(inst.balance)}，请尽快支付。\n"
                    f"收款单位：{payee.name}\n开户银行：{payee.bank}\n账号：{payee.account}\n"
                )
                status = _email(session, inst, _reminder_purpose(step_no), mail_subject, doc.content, text, mailer)
                outcome = f"提醒邮件：{status.value}"
            else:
                outcome = f"催款函已生成（文件 {doc.id}）"
        elif not (reason and reason.strip()) or not (result and result.strip()):
            raise InvalidInput(("dunningResult",), f"{step.title} needs the reason and the result recorded")
        else:
            details = [result.strip()]
            if step.action == DunningAction.VISIT and visited_person:
                details.insert(0, f"拜访对象：{visited_person.strip()}")
            if step.action == DunningAction.PHONE and promised_pay_date:
                details.append(f"客户承诺付款日期：{promised_pay_date[:10]}")
            outcome = "；".join(details)
            recorded_reason = reason.strip()
        done = DunningStep(
            installment_id=inst.id,
            step_no=step_no,
            action=step.action,
            channel=step.channel,
            title=step.title,
            balance=inst.balance,
            reason=recorded_reason,
            result=outcome,
            document_id=document_id,
            taken_by=actor,
        )
        session.add(done)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="installment.dunning_step",
            entity="installment",
            entity_id=inst.id,
            after={"step_no": step_no, "action": step.action.value, "result": outcome},
        )
    return {"stepNo": step_no + 1}


def flag_customer_risk(session: Session, installment_id: int, *, actor: str) -> dict[str, Any]:
    """The ladder is exhausted: warn about the customer and hand the installment to legal."""
    inst = _locked(session, installment_id)
    if inst.closed:
        raise InstallmentSettled(installment_id)
    flag = session.scalars(select(CustomerRiskFlag).where(CustomerRiskFlag.installment_id == inst.id)).first()
    if flag is None:
        reason = (
            f"订单{inst.order_number}第{inst.seq}期{KIND_NAMES[inst.kind]}逾期，"
            f"经{len(inst.dunning_steps)}步催收仍欠{_money(inst.balance)}"
        )
        flag = CustomerRiskFlag(
            customer_name=inst.customer_name, installment_id=inst.id, reason=reason, flagged_by=actor
        )
        session.add(flag)
        session.flush()
        risks.raise_for_flagged_customer(session, flag.id, inst.customer_name, reason, actor=actor)
        before = inst.status.value
        inst.status = InstallmentStatus.LEGAL
        audit.record(
            session,
            actor=actor,
            action="customer.risk_flagged",
            entity="installment",
            entity_id=inst.id,
            before={"status": before},
            after={"status": inst.status.value, "customer": inst.customer_name, "reason": reason},
        )
    return {"installmentBalance": str(inst.balance)}


LEGAL_MEASURES = {"lawyer_letter", "lawsuit", "arbitration", "settlement"}  # the legal-action form's options


def record_legal_action(session: Session, installment_id: int, measure: str, comment: str, *, actor: str) -> None:
    """Keep legal's decision on the installment (the task's form values would otherwise live only in the engine)."""
    if measure not in LEGAL_MEASURES:
        raise InvalidInput(("legalMeasure",), f"must be one of {sorted(LEGAL_MEASURES)}")
    inst = _locked(session, installment_id)
    if inst.legal_measure == measure and inst.legal_comment == comment:
        return
    inst.legal_measure, inst.legal_comment = measure, comment
    audit.record(
        session,
        actor=actor,
        action="installment.legal_action",
        entity="installment",
        entity_id=inst.id,
        after={"legal_measure": measure, "legal_comment": comment},
    )


# --- payments -----------------------------------------------------------------------------------


def record_payment(
    session: Session,
    installment_id: int,
    data: PaymentIn,
    publish: PaymentPublisher,
    *,
    actor: str,
    today: date,
    zone: tzinfo,
) -> PaymentResult:
    """Record a payment and tell the engine; a repeated reference answers with the first result.

    The installment row is locked for the whole transaction, so two reports racing cannot both fit
    into the balance, and a worker reacting to the message sees the committed payment. The engine is
    told last: if it is unreachable, the caller's rollback leaves nothing behind. ``today`` and
    ``zone`` are the factory's day and time zone: the value date must lie between the contract and today.
    """
    inst = _locked(session, installment_id)
    _check_value_date(session, inst, data.paid_on, today, zone)
    earlier = session.scalars(select(Payment).where(Payment.external_reference == data.external_reference)).first()
    if earlier is not None:
        if earlier.installment_id != inst.id or earlier.amount != data.amount or earlier.paid_on != data.paid_on:
            raise Conflict(
                f"external reference {data.external_reference!r} was already used for a different payment "
                f"(installment {earlier.installment_id}, amount {earlier.amount}, paid on {earlier.paid_on})"
            )
        return _payment_result(session, inst.id, earlier, duplicate=True, deposit_received=False)
    if inst.status == InstallmentStatus.PAID:
        raise Conflict(f"installment {inst.id} is already paid in full")
    if inst.status == InstallmentStatus.CANCELLED:
        raise Conflict(f"分期款 {inst.id}（订单 {inst.order_number}）已取消（订单取消或价格变更后无余额），不再收款")
    if data.amount > inst.balance:
        raise InvalidInput(("body", "amount"), f"exceeds the outstanding balance of {inst.balance} CNY")
    payment = Payment(
        installment_id=inst.id,
        external_reference=data.external_reference,
        amount=data.amount,
        paid_on=data.paid_on,
        recorded_by=actor,
    )
    session.add(payment)
    before = {"status": inst.status.value, "paid_amount": str(inst.paid_amount)}
    inst.paid_amount = inst.paid_amount + data.amount
    settled = inst.paid_amount == inst.amount
    if settled:
        inst.status = InstallmentStatus.PAID
        inst.paid_at = datetime.now(UTC)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="installment.payment_recorded",
        entity="installment",
        entity_id=inst.id,
        before=before,
        after={
            "status": inst.status.value,
            "paid_amount": str(inst.paid_amount),
            "payment_id": payment.id,
            "external_reference": payment.external_reference,
            "amount": str(payment.amount),
        },
    )
    deposit_settled = settled and inst.kind == InstallmentKind.DEPOSIT
    publish(inst, payment, deposit_settled)
    return _payment_result(session, inst.id, payment, duplicate=False, deposit_received=deposit_settled)


def _check_value_date(session: Session, inst: Installment, paid_on: date, today: date, zone: tzinfo) -> None:
    """A value date after today, or before the order's contract (its signing, or else the order's
    receipt), is a typing error that would distort the ageing and the risk figures."""
    loc = ("body", "paid_on")
    if paid_on > today:
        raise InvalidInput(loc, f"must not be after today ({today.isoformat()} in the factory's time zone)")
    order = session.get(Order, inst.order_id)
    if order is None:
        raise NotFound("order", inst.order_id)
    earliest, what = order.created_at.astimezone(zone).date(), f"order {order.order_number} was received"
    contract = session.scalars(select(Contract).where(Contract.order_id == order.id)).first()
    if contract is not None and contract.signed_on is not None:
        earliest, what = contract.signed_on, f"contract {contract.contract_number} was signed"
    if paid_on < earliest:
        raise InvalidInput(loc, f"must not be before {earliest.isoformat()}, the day {what}")


def _payment_result(
    session: Session, installment_id: int, payment: Payment, *, duplicate: bool, deposit_received: bool
) -> PaymentResult:
    session.expire_all()
    return PaymentResult(
        payment=PaymentOut.model_validate(payment),
        installment=InstallmentOut.model_validate(get_installment(session, installment_id)),
        duplicate=duplicate,
        deposit_received=deposit_received,
    )


# --- customers and reports ----------------------------------------------------------------------


def customer_collection(session: Session, customer_name: str, as_of: date) -> CustomerCollectionOut:
    installments = list(
        session.scalars(
            _with_details(select(Installment))
            .where(Installment.customer_name == customer_name)
            .order_by(Installment.order_id, Installment.seq)
        )
    )
    flags = list(
        session.scalars(
            select(CustomerRiskFlag)
            .where(CustomerRiskFlag.customer_name == customer_name)
            .order_by(CustomerRiskFlag.id)
        )
    )
    if not installments and not flags:
        raise NotFound("customer with installments", customer_name)
    return CustomerCollectionOut(
        customer_name=customer_name,
        open_balance=sum((i.balance for i in installments), ZERO),
        overdue_balance=sum((i.balance for i in installments if _days_overdue(i, as_of) > 0), ZERO),
        risk_flagged=bool(flags),
        risk_flags=[RiskFlagOut.model_validate(f) for f in flags],
        installments=[InstallmentOut.model_validate(i) for i in installments],
    )


def _days_overdue(inst: Installment, as_of: date) -> int:
    return (as_of - inst.due_date).days if inst.balance > 0 and inst.due_date < as_of else 0


@dataclass(frozen=True)
class CollectionScope:
    """Which installments the collection report counts: due from ``start`` (if given) up to its ``as_of``, of the
    orders of one salesperson and/or of a set of salespeople (a department)."""

    start: date | None = None
    salesperson: str | None = None
    salespeople: frozenset[str] | None = None

    @property
    def filtered(self) -> bool:
        return self.start is not None or bool(self.salesperson) or self.salespeople is not None


def _due(session: Session, as_of: date, scope: CollectionScope) -> list[Installment]:
    """The one selection the collection report and the lists behind its figures are made from."""
    if scope.start is not None and scope.start > as_of:
        raise InvalidInput(("query", "start"), "must not be after as_of")
    query = select(Installment).where(Installment.due_date <= as_of)
    if scope.start is not None:
        query = query.where(Installment.due_date >= scope.start)
    if scope.salesperson or scope.salespeople is not None:
        query = query.join(Order, Order.id == Installment.order_id)
        if scope.salesperson:
            query = query.where(Order.salesperson == scope.salesperson)
        if scope.salespeople is not None:
            query = query.where(Order.salesperson.in_(sorted(scope.salespeople)))
    return list(session.scalars(query.order_by(Installment.due_date, Installment.id)))


def _bucket_bounds(bucket_days: Sequence[int]) -> list[tuple[int, int | None]]:
    bounds: list[tuple[int, int | None]] = []
    low = 1
    for high in [*sorted(set(bucket_days)), None]:
        bounds.append((low, high))
        if high is not None:
            low = high + 1
    return bounds


def _in_bucket(inst: Installment, as_of: date, low: int, high: int | None) -> bool:
    days = _days_overdue(inst, as_of)
    return days >= low and (high is None or days <= high)


def collection_report(
    session: Session,
    as_of: date,
    bucket_days: Sequence[int],
    scope: CollectionScope = CollectionScope(),
) -> CollectionReport:
    """Collection rate, overdue amount and ageing as of a day, computed from the stored installments."""
    due = _due(session, as_of, scope)
    # A cancelled installment was due only as far as it had been paid.
    due_amount = sum((i.paid_amount if i.status == InstallmentStatus.CANCELLED else i.amount for i in due), ZERO)
    collected = sum((i.paid_amount for i in due), ZERO)
    buckets: list[AgeingBucket] = []
    for low, high in _bucket_bounds(bucket_days):
        members = [i for i in due if _in_bucket(i, as_of, low, high)]
        buckets.append(
            AgeingBucket(
                label=f"{low}-{high}天" if high is not None else f"{low}天以上",
                min_days=low,
                max_days=high,
                amount=sum((i.balance for i in members), ZERO),
                count=len(members),
            )
        )
    overdue = [i for i in due if _days_overdue(i, as_of) > 0]
    return CollectionReport(
        as_of=as_of,
        due_amount=due_amount,
        collected_amount=collected,
        collection_rate=(collected / due_amount).quantize(Decimal("0.0001")) if due_amount else None,
        overdue_amount=sum((i.balance for i in overdue), ZERO),
        overdue_count=len(overdue),
        ageing=buckets,
        risk_customers=_risk_customers(session, due, scope),
        start=scope.start,
        salesperson=scope.salesperson,
        due_count=len(due),
    )


def _risk_customers(session: Session, due: list[Installment], scope: CollectionScope) -> list[str]:
    """Customers with a risk flag; with a filter, only those with installments in the report."""
    flagged = session.scalars(
        select(CustomerRiskFlag.customer_name).distinct().order_by(CustomerRiskFlag.customer_name)
    ).all()
    if not scope.filtered:
        return list(flagged)
    mine = {i.customer_name for i in due}
    return [name for name in flagged if name in mine]


COLLECTION_MEASURES = {"due": "到期应收", "overdue": "逾期未收"}


def report_installments(
    session: Session,
    as_of: date,
    bucket_days: Sequence[int],
    measure: str,
    scope: CollectionScope = CollectionScope(),
    *,
    bucket: int | None = None,
    customer_name: str | None = None,
) -> list[Installment]:
    """The installments behind a figure of ``collection_report`` (same day, buckets and scope): all due
    (``due``), the overdue ones (``overdue``), or those of one ageing bucket (``bucket``: its index)."""
    if measure not in COLLECTION_MEASURES:
        raise InvalidInput(("query", "measure"), f"must be one of {', '.join(COLLECTION_MEASURES)}")
    bounds = _bucket_bounds(bucket_days)
    if bucket is not None and not 0 <= bucket < len(bounds):
        raise InvalidInput(("query", "bucket"), f"must be between 0 and {len(bounds) - 1}")
    rows = _due(session, as_of, scope)
    if measure == "overdue":
        rows = [i for i in rows if _days_overdue(i, as_of) > 0]
    if bucket is not None:
        low, high = bounds[bucket]
        rows = [i for i in rows if _in_bucket(i, as_of, low, high)]
    if customer_name is not None:
        rows = [i for i in rows if i.customer_name == customer_name]
    return rows


def days_overdue(inst: Installment, as_of: date) -> int:
    """Days past due of an installment with a balance (0 when paid or not yet due)."""
    return _days_overdue(inst, as_of)


# --- re-planning after a price change -----------------------------------------------------------


@dataclass(frozen=True)
class WakeUps:
    """How long the wake-ups of a re-plan are offered to the engine (the payment and deposit message TTLs)."""

    payment_ttl_s: int
    deposit_ttl_s: int

    @classmethod
    def from_settings(cls, settings: Settings) -> WakeUps:
        return cls(settings.collection_payment_message_ttl_s, settings.collection_deposit_message_ttl_s)


@dataclass(frozen=True)
class Replan:
    """The installments after a re-plan and what they cannot hold: ``credit_due`` (to refund), ``extra_due``."""

    installments: list[Installment]
    credit_due: Decimal
    extra_due: Decimal


def _shares(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights``: rounded down to the cent, the last takes the remainder (> 0)."""
    whole = sum(weights, ZERO)
    shares = [(total * w / whole).quantize(CENT, ROUND_DOWN) if whole else ZERO for w in weights[:-1]]
    return [*shares, total - sum(shares, ZERO)]


def replan_installments(
    session: Session, order_id: int, new_total: Decimal, wake: WakeUps, *, reason: str, actor: str
) -> Replan | None:
    """Re-plan the order's installments so they add up to ``new_total``, keeping what was paid.

    Paid and partly paid installments keep their amounts; the installments nothing was paid on share
    the rest in proportion to their current amounts (the contract's ratios). One whose share is nothing
    is cancelled (amount 0). A total below what the touched installments hold lowers the partly paid
    ones to what was paid (the latest first; each becomes paid), and below what was paid the difference
    is a credit due to the customer: never a negative installment. An increase with no installment left
    open is ``extra_due``. Amounts live here, and every step of the installment's round re-reads them, so
    running rounds need no change; a round whose installment was closed by the re-plan is woken (a
    ``PaymentReceived`` for its local key) and ends as settled, and a deposit closed so is announced
    (``DepositReceived``). ``None`` when the order has no installments yet (collection not started).
    """
    insts = list(
        session.scalars(
            select(Installment)
            .where(Installment.order_id == order_id)
            .order_by(Installment.seq)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not insts:
        return None
    before = {i.id: (i.amount, i.status) for i in insts}
    live = [i for i in insts if i.status != InstallmentStatus.CANCELLED]
    touched = [i for i in live if i.paid_amount > 0]
    free = [i for i in live if i.paid_amount == 0]
    rest = new_total - sum((i.amount for i in touched), ZERO)
    if rest > 0 and free:
        for inst, share in zip(free, _shares(rest, [i.amount for i in free]), strict=True):
            inst.amount = share
    else:
        for inst in free:
            inst.amount = ZERO
        excess = -rest if rest < 0 else ZERO
        for inst in reversed(touched):
            cut = min(inst.balance, excess)
            inst.amount -= cut
            excess -= cut
    now = datetime.now(UTC)
    for inst in live:
        if inst.amount == 0:
            inst.status = InstallmentStatus.CANCELLED
        elif inst.paid_amount == inst.amount and inst.status != InstallmentStatus.PAID:
            inst.status, inst.paid_at = InstallmentStatus.PAID, now
    session.flush()
    planned = sum((i.amount for i in insts), ZERO)
    for inst in insts:
        old_amount, old_status = before[inst.id]
        if (old_amount, old_status) == (inst.amount, inst.status):
            continue
        audit.record(
            session,
            actor=actor,
            action="installment.replanned",
            entity="installment",
            entity_id=inst.id,
            before={"amount": str(old_amount), "status": old_status.value},
            after={"amount": str(inst.amount), "status": inst.status.value, "reason": reason},
        )
        if inst.closed and old_status not in (InstallmentStatus.PAID, InstallmentStatus.CANCELLED):
            _wake_closed_round(session, inst, wake, reason)
    return Replan(
        installments=insts,
        credit_due=max(planned - new_total, ZERO),
        extra_due=max(new_total - planned, ZERO),
    )


def _wake_closed_round(session: Session, inst: Installment, wake: WakeUps, reason: str) -> None:
    """The round of an installment the re-plan closed waits on timers: wake it so it ends as settled."""
    outbox.enqueue(
        session,
        PAYMENT_MESSAGE,
        f"replan-{inst.id}-{inst.status.value}",
        wake.payment_ttl_s,
        business_key=inst.order_number,
        local_keys={PAYMENT_LOCAL_KEY: inst.correlation_key},
        variables={"installmentId": inst.id, "replanReason": reason},
    )
    if inst.kind == InstallmentKind.DEPOSIT:
        outbox.enqueue(
            session,
            DEPOSIT_MESSAGE,
            f"deposit-{inst.order_number}",
            wake.deposit_ttl_s,
            business_key=inst.order_number,
            variables={"depositPaidAmount": str(inst.paid_amount)},
        )
