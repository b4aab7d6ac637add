"""SQLAlchemy base, engine and the unit of work that edges use to own a transaction."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, func
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


def sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 whatever driver the URL names."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, future=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    with factory() as session, session.begin():
        yield session


# What the transactions of the code running now are for (``commits_for``); a thread started with
# asyncio.to_thread takes a copy of its caller's context, so a purpose set there stays with that call.
_PURPOSE: ContextVar[str] = ContextVar("commit_purpose", default="other")


@contextmanager
def commits_for(purpose: str) -> Iterator[None]:
    """Count the commits made inside the block under ``purpose`` (see :class:`CommitCounter`)."""
    token = _PURPOSE.set(purpose)
    try:
        yield
    finally:
        _PURPOSE.reset(token)


PING = " ping"  # suffix of a purpose's pre-pings in CommitCounter.snapshot()


class CommitCounter:
    """Counts the transactions an engine commits in the store, by purpose (``commits_for``).

    PostgreSQL counts every committed transaction of a database together (``pg_stat_database``); this
    says which of one process's commits were for what, e.g. a worker's service tasks, its heartbeat
    and its message dispatcher (``./dev bench`` reads it; ``kill -USR1`` makes the workers log it).
    ``"<purpose>"`` counts COMMITs; ``"<purpose> ping"`` counts the pool's pre-pings (``pool_pre_ping``:
    a ``SELECT 1`` run in autocommit mode when a pooled connection is taken, which PostgreSQL counts as
    a committed transaction of its own).
    """

    def __init__(self, engine: Engine) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        event.listen(engine, "commit", self._on_commit)
        ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection: Any) -> bool:
            self._add(_PURPOSE.get() + PING)
            return ping(dbapi_connection)

        engine.dialect.do_ping = counted_ping  # type: ignore[method-assign]

    def _on_commit(self, _conn: object) -> None:
        self._add(_PURPOSE.get())

    def _add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


def load_all_tables() -> None:
    """Import every ``models/<domain>/tables.py`` (and the shared modules) so Base.metadata knows every table."""
    import importlib
    import pkgutil

    import models

    for name in ("models.audit", "models.idempotency", "models.jobs", "models.outbox"):
        importlib.import_module(name)
    for info in pkgutil.iter_modules(models.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"models.{info.name}.tables")
            except ModuleNotFoundError as exc:
                if exc.name != f"models.{info.name}.tables":
                    raise
