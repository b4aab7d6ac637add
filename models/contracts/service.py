"""Contract services: draft a version from the template, legal review, signature and payment schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from doorflow.settings import Settings
from models.contracts.tables import Contract, ContractStatus, ContractVersion, LegalDecision
from models.costs import service as costs
from models.documents import service as documents
from models.documents.tables import DocumentCategory
from models.errors import Conflict, InvalidInput, NotFound
from models.orders import service as orders
from models.orders.tables import OrderStatus
from models.risks import service as risks

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ContractTerms:
    """The configurable clauses (Settings): payment ratios and due rules, quality standard, penalties."""

    seller: str
    deposit_ratio: Decimal
    progress_ratio: Decimal
    final_ratio: Decimal
    deposit_due_days: int  # after signing
    progress_due_days: int  # before the delivery date
    final_due_days: int  # after the delivery date
    quality_standard: str
    late_delivery_penalty_percent: Decimal
    late_payment_penalty_percent: Decimal
    penalty_cap_percent: Decimal


def payment_terms(total: Decimal, terms: ContractTerms) -> list[dict[str, Any]]:
    """Deposit / progress / final amounts; the final one takes the rounding remainder so they add up."""
    if terms.deposit_ratio + terms.progress_ratio + terms.final_ratio != Decimal("1"):
        raise InvalidInput(("settings", "payment_*_ratio"), "deposit, progress and final ratios must add up to 1")
    deposit = (total * terms.deposit_ratio).quantize(CENT, ROUND_HALF_UP)
    progress = (total * terms.progress_ratio).quantize(CENT, ROUND_HALF_UP)
    return [
        {
            "kind": "deposit",
            "label": "定金",
            "ratio": str(terms.deposit_ratio),
            "amount": str(deposit),
            "due": f"合同签订后 {terms.deposit_due_days} 日内",
        },
        {
            "kind": "progress",
            "label": "进度款",
            "ratio": str(terms.progress_ratio),
            "amount": str(progress),
            "due": f"约定交货日前 {terms.progress_due_days} 日",
        },
        {
            "kind": "final",
            "label": "尾款",
            "ratio": str(terms.final_ratio),
            "amount": str(total - deposit - progress),
            "due": f"约定交货日后 {terms.final_due_days} 日内（验收合格后）",
        },
    ]


def get_contract(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("contract", contract_id)
    return contract


def draft_contract(
    session: Session, order_id: int, terms: ContractTerms, *, revision_note: str | None, actor: str
) -> ContractVersion:
    """Render the next contract version from the order and its accepted price; earlier versions stay."""
    order = orders.get_order(session, order_id)
    price = orders.accepted_price(session, order.id)
    contract = session.scalars(select(Contract).where(Contract.order_id == order.id)).first()
    if contract is None:
        contract = Contract(
            order_id=order.id,
            contract_number="HT" + order.order_number.removeprefix("DO"),
            status=ContractStatus.LEGAL_REVIEW,
            total_amount=price.net_total + order.price_adjustment,
            delivery_date=order.delivery_date,
        )
        session.add(contract)
        session.flush()
    elif contract.status == ContractStatus.SIGNED:
        raise Conflict(f"contract {contract.contract_number} is already signed")
    # The accepted price plus the money effect of the changes applied since it was agreed.
    total = price.net_total + order.price_adjustment
    contract.status = ContractStatus.LEGAL_REVIEW
    contract.total_amount = total
    contract.delivery_date = order.delivery_date
    number = len(contract.versions) + 1
    schedule = payment_terms(total, terms)
    context = {
        "contract_number": contract.contract_number,
        "version": number,
        "seller": terms.seller,
        "order": order,
        "lines": order.lines,
        "price": price,
        "adjustment": order.price_adjustment,
        "total": total,
        "delivery_date": order.delivery_date,
        "quality_standard": terms.quality_standard,
        "payment_terms": schedule,
        "terms": terms,
        "revision_note": revision_note,
        "previous": contract.versions[-1] if contract.versions else None,
    }
    doc = documents.store(
        session,
        subject=f"order:{order.id}",
        kind="contract",
        category=DocumentCategory.CONTRACT,
        title=f"销售合同 {contract.contract_number}（第 {number} 版）",
        template="contract.html.j2",
        context=context,
        actor=actor,
        order_id=order.id,
    )
    version = ContractVersion(
        contract=contract, version=number, document_id=doc.id, payment_terms=schedule, revision_note=revision_note
    )
    session.add(version)
    session.flush()
    orders.change_status(session, order, OrderStatus.CONTRACTING, actor=actor, action="order.contracting")
    orders.record_fact(
        session,
        order.id,
        actor=actor,
        action="contract.drafted",
        after={
            "contract_number": contract.contract_number,
            "version": number,
            "document_id": doc.id,
            "total_amount": str(total),
            "revision_note": revision_note,
        },
    )
    return version


def record_legal_review(
    session: Session, contract_id: int, *, approved: bool, comments: str | None, reviewer: str | None, actor: str
) -> ContractVersion:
    """Legal's decision on the latest version; a rejection keeps its comments with that version."""
    contract = get_contract(session, contract_id)
    if contract.status == ContractStatus.SIGNED:
        raise Conflict(f"contract {contract.contract_number} is already signed")
    if not approved and not comments:
        raise InvalidInput(("legalComments",), "a rejection needs comments for sales")
    version = contract.versions[-1]
    version.legal_decision = LegalDecision.APPROVED if approved else LegalDecision.REJECTED
    version.legal_comments = comments
    version.legal_reviewer = reviewer
    contract.status = ContractStatus.APPROVED if approved else ContractStatus.REVISING
    orders.record_fact(
        session,
        contract.order_id,
        actor=actor,
        action="contract.legal_reviewed",
        after={
            "contract_number": contract.contract_number,
            "version": version.version,
            "decision": version.legal_decision.value,
            "comments": comments,
            "reviewer": reviewer,
        },
    )
    return version


def record_signature(
    session: Session, contract_id: int, *, signed_on: date, signed_by: str, terms: ContractTerms, actor: str
) -> list[dict[str, str]]:
    """The customer signed the approved version: contract and order signed; returns the payment schedule."""
    contract = get_contract(session, contract_id)
    if contract.status not in (ContractStatus.APPROVED, ContractStatus.SIGNED):
        raise Conflict(f"contract {contract.contract_number} is not approved by legal")
    version = contract.versions[-1]
    contract.status = ContractStatus.SIGNED
    contract.signed_on = signed_on
    contract.signed_by = signed_by
    order = orders.get_order(session, contract.order_id)
    schedule = _schedule(contract, signed_on, terms)
    orders.record_fact(
        session,
        order.id,
        actor=actor,
        action="contract.signed",
        after={
            "contract_number": contract.contract_number,
            "version": version.version,
            "signed_on": signed_on.isoformat(),
            "signed_by": signed_by,
            "payment_schedule": schedule,
        },
    )
    orders.change_status(session, order, OrderStatus.SIGNED, actor=actor, action="order.signed")
    # The cost budget at contract time (policy 001 §7), and the customer risk of an already flagged customer.
    costs.create_budget(session, order.id, f"contract:{contract.contract_number} v{version.version}", actor=actor)
    risks.raise_for_existing_flags(session, order.id, actor=actor)
    return schedule


def _schedule(contract: Contract, signed_on: date, terms: ContractTerms) -> list[dict[str, str]]:
    """Kind, amount and due date of each payment of the signed (latest) version."""
    due = {
        "deposit": signed_on + timedelta(days=terms.deposit_due_days),
        "progress": max(signed_on, contract.delivery_date - timedelta(days=terms.progress_due_days)),
        "final": contract.delivery_date + timedelta(days=terms.final_due_days),
    }
    return [
        {"kind": t["kind"], "amount": t["amount"], "dueDate": due[t["kind"]].isoformat()}
        for t in contract.versions[-1].payment_terms
    ]


def payment_schedule(session: Session, order_id: int, terms: ContractTerms) -> list[dict[str, str]]:
    """The payment schedule of the order's signed contract (what payment-collection registers), from the store.

    The process carries only the order's id: the schedule is read here, never passed as a list variable.
    """
    contract = contract_of_order(session, order_id)
    if contract is None:
        raise NotFound("contract of order", order_id)
    if contract.status != ContractStatus.SIGNED or contract.signed_on is None:
        raise Conflict(f"contract {contract.contract_number} is not signed yet")
    return _schedule(contract, contract.signed_on, terms)


def contract_of_order(session: Session, order_id: int) -> Contract | None:
    return session.scalars(select(Contract).where(Contract.order_id == order_id)).first()


def terms_from_settings(settings: Settings) -> ContractTerms:
    return ContractTerms(
        seller=settings.company_name,
        deposit_ratio=settings.payment_deposit_ratio,
        progress_ratio=settings.payment_progress_ratio,
        final_ratio=settings.payment_final_ratio,
        deposit_due_days=settings.payment_deposit_due_days,
        progress_due_days=settings.payment_progress_due_days,
        final_due_days=settings.payment_final_due_days,
        quality_standard=settings.contract_quality_standard,
        late_delivery_penalty_percent=settings.contract_late_delivery_penalty_per_day_percent,
        late_payment_penalty_percent=settings.contract_late_payment_penalty_per_day_percent,
        penalty_cap_percent=settings.contract_penalty_cap_percent,
    )


@dataclass(frozen=True)
class Amendment:
    """What an applied change did to the contract's money (for the amendment text and the change's record)."""

    change_number: str
    description: str
    total_before: Decimal
    money_delta: Decimal
    total_after: Decimal
    rows: list[dict[str, str]]  # the changed items (before/after), as on the change order
    installments: list[Any]  # the re-planned installments (empty before collection started)
    credit_due: Decimal
    extra_due: Decimal


def amend_for_change(
    session: Session, contract: Contract, amendment: Amendment, terms: ContractTerms, *, actor: str
) -> ContractVersion:
    """A change with a money effect amends the contract: a new version (its document, its payment terms).

    The version's payment terms are the re-planned installments once collection runs (what the customer
    now owes per installment), else the configured ratios of the new total (collection will register them).
    """
    order = orders.get_order(session, contract.order_id)
    previous = contract.versions[-1] if contract.versions else None
    if amendment.installments:
        by_kind = {str(t.get("kind")): t for t in (previous.payment_terms if previous else [])}
        schedule = [
            {**by_kind.get(i.kind.value, {"kind": i.kind.value, "label": i.kind.value, "ratio": "0", "due": ""}),
             "amount": str(i.amount)}
            for i in amendment.installments
        ]  # fmt: skip
    else:
        schedule = payment_terms(amendment.total_after, terms)
    contract.total_amount = amendment.total_after
    contract.credit_due = amendment.credit_due
    contract.extra_due = amendment.extra_due
    number = len(contract.versions) + 1
    note = f"变更 {amendment.change_number}：合同总价 ¥{amendment.total_before:,.2f} → ¥{amendment.total_after:,.2f}"
    doc = documents.store(
        session,
        subject=f"order:{order.id}",
        kind="contract_amendment",
        category=DocumentCategory.CONTRACT,
        title=f"合同变更协议 {contract.contract_number}（第 {number} 版，变更 {amendment.change_number}）",
        template="contract-amendment.html.j2",
        context={
            "contract": contract,
            "version": number,
            "previous_version": previous.version if previous else None,
            "seller": terms.seller,
            "order": order,
            "amendment": amendment,
            "payment_terms": schedule,
            "kind_names": {"deposit": "定金", "progress": "进度款", "final": "尾款"},
        },
        actor=actor,
        order_id=order.id,
    )
    version = ContractVersion(
        contract=contract, version=number, document_id=doc.id, payment_terms=schedule, revision_note=note
    )
    session.add(version)
    session.flush()
    orders.record_fact(
        session,
        order.id,
        actor=actor,
        action="contract.amended",
        after={
            "contract_number": contract.contract_number,
            "version": number,
            "document_id": doc.id,
            "change_number": amendment.change_number,
            "total_before": str(amendment.total_before),
            "money_delta": str(amendment.money_delta),
            "total_after": str(amendment.total_after),
            "credit_due": str(amendment.credit_due),
            "extra_due": str(amendment.extra_due),
        },
    )
    return version
