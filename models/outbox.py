"""Wake-up messages for the engine, stored with the fact that causes them (a transactional outbox).

Operaton buffers no message: one that finds no waiting execution is refused. So a service that
records a fact the process waits for (a payment, a delivery, a goods receipt) also stores the
message here, in the same transaction. :mod:`doorflow.messages` delivers it after the commit and
keeps retrying until a waiting execution takes it or its time-to-live ends: a message sent a
little before the process waits loses nothing, and the fact itself is in PostgreSQL either way.
A repeated ``message_id`` is the same message and is stored once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.db import Base

# PostgreSQL delivers a NOTIFY only when the transaction commits: the dispatcher wakes exactly then.
CHANNEL = "doorflow_messages"


class EngineMessage(Base):
    __tablename__ = "engine_messages"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    business_key: Mapped[str | None] = mapped_column(String(120))
    local_keys: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    variables: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
    expired_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


def enqueue(
    session: Session,
    name: str,
    message_id: str,
    ttl_s: int,
    business_key: str | None = None,
    local_keys: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
) -> None:
    """Store a message to deliver after this transaction commits; a message id stored before is kept as it was."""
    now = session.scalar(select(func.now()))
    assert now is not None
    row = {
        "message_id": message_id,
        "name": name,
        "business_key": business_key,
        "local_keys": dict(local_keys or {}),
        "variables": dict(variables or {}),
        "expires_at": now + timedelta(seconds=ttl_s),
        "next_attempt_at": now,
        "attempts": 0,
    }
    stmt = insert(EngineMessage).values(**row).on_conflict_do_nothing(index_elements=["message_id"])
    session.execute(stmt)
    session.execute(text(f"SELECT pg_notify('{CHANNEL}', '')"))


def due(session: Session, limit: int = 50, ids: list[int] | None = None) -> list[EngineMessage]:
    """Undelivered, unexpired messages whose next attempt is due, locked for this deliverer (others skip them)."""
    query = select(EngineMessage).where(EngineMessage.delivered_at.is_(None), EngineMessage.expired_at.is_(None))
    if ids is not None:
        query = query.where(EngineMessage.id.in_(ids))
    else:
        query = query.where(EngineMessage.next_attempt_at <= func.now())
    query = query.order_by(EngineMessage.id).limit(limit).with_for_update(skip_locked=True)
    return list(session.scalars(query))


def withdraw(session: Session, name: str, business_key: str) -> int:
    """Stop offering undelivered ``name`` messages for ``business_key``: the process read their fact from the store.

    A step that checks the store before it waits (e.g. door-order's "deposit already paid?") takes the
    fact without the wake-up; left queued, the message would be offered until its time-to-live ends.
    """
    now = session.scalar(select(func.now()))
    result = session.execute(
        update(EngineMessage)
        .where(
            EngineMessage.name == name,
            EngineMessage.business_key == business_key,
            EngineMessage.delivered_at.is_(None),
            EngineMessage.expired_at.is_(None),
        )
        .values(expired_at=now, last_error="withdrawn: the process read the fact from the store")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def withdraw_for_order(session: Session, business_key: str, keep: str, reason: str) -> int:
    """Stop offering every undelivered message of an order's tree but ``keep`` (the order was cancelled)."""
    now = session.scalar(select(func.now()))
    result = session.execute(
        update(EngineMessage)
        .where(
            EngineMessage.business_key == business_key,
            EngineMessage.name != keep,
            EngineMessage.delivered_at.is_(None),
            EngineMessage.expired_at.is_(None),
        )
        .values(expired_at=now, last_error=f"withdrawn: {reason}")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def offer_again(session: Session, business_key: str, expired_since: datetime, ttl_s: int) -> int:
    """Offer again the messages of an order's tree that expired since ``expired_since`` (while it was on hold).

    A suspended instance takes no message, so a payment or a delivery reported during a hold may
    outlive its wake-up; withdrawn messages (the process read their fact) stay withdrawn.
    """
    now = session.scalar(select(func.now()))
    assert now is not None
    result = session.execute(
        update(EngineMessage)
        .where(
            EngineMessage.business_key == business_key,
            EngineMessage.delivered_at.is_(None),
            EngineMessage.expired_at >= expired_since,
            ~func.coalesce(EngineMessage.last_error, "").startswith("withdrawn"),
        )
        .values(expired_at=None, expires_at=now + timedelta(seconds=ttl_s), next_attempt_at=now)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        session.execute(text(f"SELECT pg_notify('{CHANNEL}', '')"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
