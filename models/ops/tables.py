"""The database's own identity and one heartbeat row per running worker process."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base


class DatabaseIdentity(Base):
    """One row, written by the migration: a UUID that tells this doorflow database from every other.

    Outgoing e-mails put it into their Message-ID, so installment 1 of one factory's database and
    installment 1 of another's (or of a test database) never share a Message-ID.
    """

    __tablename__ = "database_identity"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class WorkerHeartbeat(Base):
    """A worker process's last sign of life, written from its poll loop (``/health`` reads it)."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    beat_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    # The beat after the poll loop's last fetch that the engine answered: a loop that beats but cannot
    # reach the engine is alive and idle, not working.
    engine_seen_at: Mapped[datetime | None] = mapped_column(nullable=True)
