"""Idempotent creation: a client's ``Idempotency-Key`` and the answer it got, stored with what was created.

A client that lost the answer to a POST (a timeout, a dropped connection) sends it again with the same
key. The key is claimed in the transaction that creates the resource and its answer is written to the
same row before the commit, so either both the resource and the answer are stored or neither is: a
failed attempt leaves the key free for the retry. The unique constraint on (caller, scope, key) makes a
second request with the key wait for the first one's transaction; it then finds the committed answer and
repeats it, creating nothing.

A key belongs to the authenticated caller who sent it: another caller using the same key is processed
afresh (they never get someone else's answer). The request's fingerprint covers all of it (method, path,
query string, body), so the same key with another query is a different request (409), not a repeat.
Keys expire: each claim first purges the keys older than the retention (``idempotency_retention_hours``),
so a key past it is forgotten and a request with it is processed anew.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import parse_qsl

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.db import Base
from models.errors import Conflict


class IdempotencyRecord(Base):
    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("caller", "scope", "key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    caller: Mapped[str] = mapped_column(String(255))  # the authenticated engine user who sent the key
    scope: Mapped[str] = mapped_column(String(200))  # the route, e.g. "POST /orders/{order_id}/change-requests"
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    # Empty only inside the claiming transaction: the answer is written before it commits.
    status_code: Mapped[int | None] = mapped_column(Integer)
    media_type: Mapped[str | None] = mapped_column(String(100))
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)  # for the purge


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    media_type: str
    body: str


class KeyReused(Conflict):
    """The key was used before for a different request to the same route."""


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """A hash of the whole request: method, path, query string (parameters in any order) and body (JSON by value)."""
    try:
        content: Any = json.loads(body) if body else None
    except ValueError:
        content = {"raw": hashlib.sha256(body).hexdigest()}
    canonical = json.dumps(
        {
            "method": method,
            "path": path,
            "query": sorted(parse_qsl(query, keep_blank_values=True)),
            "body": content,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def purge_expired(session: Session, retention: timedelta) -> int:
    """Forget the keys older than ``retention`` (those another transaction is deleting are left to it)."""
    expired = (
        select(IdempotencyRecord.id)
        .where(IdempotencyRecord.created_at < func.now() - retention)
        .with_for_update(skip_locked=True)
    )
    result = cast(
        CursorResult[Any], session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(expired)))
    )
    return result.rowcount


def claim(
    session: Session, caller: str, scope: str, key: str, request_hash: str, retention: timedelta
) -> int | StoredAnswer:
    """Claim ``caller``'s ``key`` for this transaction (returns the record's id), or return the answer stored for it.

    Expired keys are purged first. The insert waits while another transaction holds the same caller's key;
    once that one commits, its answer is returned here (or KeyReused if it was for a different request); if
    it rolled back, the key is ours.
    """
    purge_expired(session, retention)
    stmt = (
        insert(IdempotencyRecord)
        .values(caller=caller, scope=scope, key=key, request_hash=request_hash)
        .on_conflict_do_nothing(index_elements=["caller", "scope", "key"])
        .returning(IdempotencyRecord.id)
    )
    claimed = session.execute(stmt).scalar_one_or_none()
    if claimed is not None:
        return claimed
    stored = session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.caller == caller, IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    ).scalar_one()
    if stored.request_hash != request_hash:
        raise KeyReused(
            f"Idempotency-Key {key!r} was already used for a different request to {scope}; "
            "use a new key for a new request"
        )
    assert stored.status_code is not None and stored.response_body is not None  # written before its commit
    return StoredAnswer(stored.status_code, stored.media_type or "application/json", stored.response_body)


def remember(session: Session, record_id: int, answer: StoredAnswer) -> None:
    """Store the answer on the claimed key, in the same transaction as what the request created."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(status_code=answer.status_code, media_type=answer.media_type, response_body=answer.body)
    )
