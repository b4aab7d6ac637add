"""Exactly-once effects for at-least-once external tasks.

The engine may hand out an external task more than once (a lock that ran out, a node that died).
A worker's effect and the row below commit in one transaction; the primary key on the task id
makes a second commit of the same task fail, so a re-delivered task changes nothing and gets back
the result of the first.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.db import Base

DATETIME_TAG = "$datetime"


class ProcessedTask(Base):
    __tablename__ = "processed_tasks"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_type: Mapped[str] = mapped_column(String(120), index=True)
    business_key: Mapped[str | None] = mapped_column(String(120), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    processed_at: Mapped[datetime] = mapped_column(server_default=func.now())


def previous_result(session: Session, task_id: str) -> dict[str, Any] | None:
    done = session.get(ProcessedTask, task_id)
    return None if done is None else {k: _revive(v) for k, v in done.result.items()}


def remember(session: Session, task_id: str, task_type: str, business_key: str | None, result: dict[str, Any]) -> None:
    stored = {k: _plain(v) for k, v in result.items()}
    session.add(ProcessedTask(task_id=task_id, task_type=task_type, business_key=business_key, result=stored))
    session.flush()


def _plain(value: Any) -> Any:
    """JSON for the record; a date-time is tagged so a repeat hands the engine a Date again, not text."""
    if isinstance(value, datetime):
        return {DATETIME_TAG: value.isoformat()}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _revive(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {DATETIME_TAG}:
        return datetime.fromisoformat(value[DATETIME_TAG])
    return value
