"""Render a document from its template and store it as a new version; list and read them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import cn2an
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from doorflow.settings import ROOT
from models import audit
from models.documents.pdf import render_pdf
from models.documents.tables import Document, DocumentCategory
from models.errors import NotFound
from models.orders.tables import DOOR_TYPE_NAMES, HANDING_NAMES, Order

TEMPLATES = ROOT / "templates"


def _money(value: Decimal | int | str) -> str:
    """Amounts as people read them on paper: ¥12,345.60."""
    return f"¥{Decimal(value):,.2f}"


def cn_money(value: Decimal | int | str) -> str:
    """The amount in Chinese capitals as financial documents write it (人民币大写), e.g. 人民币壹万元整.

    Rounded to the fen first (the library cuts digits past the fen instead of rounding). The 元角分,
    整 and 零 rules follow the People's Bank rules for filling in amounts; tests check the hard cases.
    """
    amount = Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)
    sign = "负" if amount < 0 else ""
    return f"人民币{sign}{cn2an.an2cn(f'{abs(amount):f}', 'rmb')}"


def _cn_date(value: date | datetime | str) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.year}年{value.month}月{value.day}日"


@lru_cache
def environment() -> Environment:
    """Strict: a template naming a missing value fails loudly instead of printing a blank on a contract."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money
    env.filters["cn_date"] = _cn_date
    env.filters["cn_money"] = cn_money
    # Chinese names of the order vocabulary, for every template (door types, handings).
    env.globals["names"] = {"door_types": DOOR_TYPE_NAMES, "handings": HANDING_NAMES}
    return env


def render(template: str, context: Mapping[str, Any]) -> str:
    return environment().get_template(template).render(**context)


def store(
    session: Session,
    *,
    subject: str,
    kind: str,
    category: DocumentCategory,
    title: str,
    template: str,
    context: Mapping[str, Any],
    actor: str,
    order_id: int | None = None,
) -> Document:
    """Render ``template`` and keep it as the next version of (subject, kind), as HTML and as PDF.

    Earlier versions stay as they are. The PDF is laid out from the same HTML in the same transaction,
    so a stored document always has both.
    """
    content = render(template, context)
    latest = session.scalar(
        select(func.max(Document.version)).where(Document.subject == subject, Document.kind == kind)
    )
    version = (latest or 0) + 1
    doc = Document(
        order_id=order_id,
        subject=subject,
        kind=kind,
        category=category,
        version=version,
        title=title,
        filename=f"{kind}-{subject.replace(':', '-')}-v{version}.html",
        template=template,
        content=content,
        created_by=actor,
        pdf=render_pdf(content),
        pdf_filename=f"{kind}-{subject.replace(':', '-')}-v{version}.pdf",
    )
    session.add(doc)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="document.created",
        entity="document",
        entity_id=doc.id,
        after={"subject": subject, "kind": kind, "version": version, "title": title},
    )
    return doc


def list_documents(session: Session, *, order_id: int | None = None, subject: str | None = None) -> list[Document]:
    """The documents of an order (NotFound for an unknown order: no order is not the same as no documents)."""
    query = select(Document).order_by(Document.id)
    if order_id is not None:
        if session.get(Order, order_id) is None:
            raise NotFound("order", order_id)
        query = query.where(Document.order_id == order_id)
    if subject is not None:
        query = query.where(Document.subject == subject)
    return list(session.scalars(query))


def get_document(session: Session, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("document", document_id)
    return doc


def read_document(session: Session, document_id: int, actor: str) -> Document:
    """Fetch a document for reading; every read is in the audit trail (policy 001 §6)."""
    doc = get_document(session, document_id)
    audit.record(session, actor=actor, action="document.read", entity="document", entity_id=doc.id)
    return doc
