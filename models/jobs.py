"""Exactly-once effects for at-least-once jobs.

Zeebe may deliver a job more than once. A worker's effect and the row below commit in one
transaction; the primary key on the job key makes a second commit of the same job fail, so a
re-delivered job changes nothing and gets back the result of the first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.db import Base


class ProcessedJob(Base):
    __tablename__ = "processed_jobs"

    job_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    task_type: Mapped[str] = mapped_column(String(120), index=True)
    business_key: Mapped[str | None] = mapped_column(String(120), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    processed_at: Mapped[datetime] = mapped_column(server_default=func.now())


def previous_result(session: Session, job_key: int) -> dict[str, Any] | None:
    done = session.get(ProcessedJob, job_key)
    return None if done is None else dict(done.result)


def remember(session: Session, job_key: int, task_type: str, business_key: str | None, result: dict[str, Any]) -> None:
    session.add(ProcessedJob(job_key=job_key, task_type=task_type, business_key=business_key, result=result))
    session.flush()
