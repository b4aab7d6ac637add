"""This database's identity, worker heartbeats, and what ``/health`` makes of them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from models.ops.tables import DatabaseIdentity, WorkerHeartbeat


def database_uuid(session: Session) -> uuid.UUID:
    """The UUID the migration gave this database (stable for its whole life)."""
    found = session.scalar(select(DatabaseIdentity.uuid).where(DatabaseIdentity.id == 1))
    if found is None:
        raise RuntimeError("database_identity is empty: apply the migrations (alembic upgrade head)")
    return found


def beat(session: Session, worker_id: str, hostname: str, pid: int, engine_reached: bool = False) -> None:
    """Record that ``worker_id`` is alive now (database time, so hosts' clocks do not matter), and, when its
    last fetch was answered by the engine, that it reaches the engine too."""
    seen = func.now() if engine_reached else None
    stmt = insert(WorkerHeartbeat).values(worker_id=worker_id, hostname=hostname, pid=pid, engine_seen_at=seen)
    changes: dict[str, Any] = {"beat_at": func.now()}
    if engine_reached:
        changes["engine_seen_at"] = func.now()
    session.execute(stmt.on_conflict_do_update(index_elements=["worker_id"], set_=changes))


def forget(session: Session, worker_id: str) -> None:
    """A worker that stops cleanly takes its row away: it is gone, not stale."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))


@dataclass(frozen=True)
class WorkerState:
    worker_id: str
    beat_at: datetime
    age_s: float
    alive: bool


def worker_states(session: Session, stale_after_s: float) -> list[WorkerState]:
    """Every worker that left a heartbeat, newest first; ``alive`` when it beat within ``stale_after_s``."""
    now = session.scalar(select(func.now()))
    assert now is not None
    rows = session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc())).all()
    limit = timedelta(seconds=stale_after_s)
    return [
        WorkerState(r.worker_id, r.beat_at, (now - r.beat_at).total_seconds(), now - r.beat_at <= limit) for r in rows
    ]
