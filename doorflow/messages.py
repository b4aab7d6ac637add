"""Deliver the outbox's wake-up messages to the engine (see :mod:`models.outbox` for why they are stored).

Runs in the workers process. It wakes on PostgreSQL ``NOTIFY`` (sent when a transaction that stored
a message commits), when a retry is due, and at least every ``interval_s``; an idle dispatcher opens
no transaction in between. A message nobody waits for yet is tried again with back-off until its
time-to-live ends; delivery is at least once (a crash between delivery and commit delivers again),
which the receiving steps absorb because they read the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta

import psycopg
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.operaton import EngineRejected, EngineUnreachable, OperatonClient
from models.db import commits_for, unit_of_work
from models.outbox import CHANNEL, EngineMessage, due

log = logging.getLogger("doorflow.messages")
STOP_CHECK_S = 1.0
DISPATCHER_COMMITS = "dispatcher"  # the purpose of its commits (models.db.commits_for)


class Dispatcher:
    def __init__(self, factory: sessionmaker[Session], engine: OperatonClient, retry_max_s: float = 10.0) -> None:
        self.factory = factory
        self.engine = engine
        self.retry_max_s = retry_max_s

    def deliver_due(self, limit: int = 50) -> int:
        """Try every due message once; returns how many were delivered."""
        delivered = 0
        with unit_of_work(self.factory) as session:
            now = session.scalar(select(func.now()))
            assert now is not None
            for message in due(session, limit):
                delivered += self._try(message, now)
        return delivered

    def _try(self, message: EngineMessage, now: datetime) -> int:
        if now >= message.expires_at:
            message.expired_at = now
            log.warning("message %s (%s) expired: nobody waited for it in time", message.message_id, message.name)
            return 0
        try:
            taken = self.engine.correlate(
                message.name, message.business_key, message.local_keys or None, message.variables or None
            )
            error = None if taken else "no execution waits for it yet"
        except (EngineUnreachable, EngineRejected) as exc:
            taken, error = False, str(exc)
            if isinstance(exc, EngineRejected):
                log.error("message %s (%s) refused by the engine: %s", message.message_id, message.name, exc)
        message.attempts += 1
        if taken:
            message.delivered_at = now
            return 1
        message.last_error = error
        message.next_attempt_at = now + timedelta(seconds=min(0.5 * 2 ** (message.attempts - 1), self.retry_max_s))
        return 0

    async def serve(self, stop: asyncio.Event, interval_s: float = 5.0) -> None:
        """Deliver until ``stop`` is set; never dies on a lost database or engine."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self._listen_and_deliver, interval_s, stop)
            except Exception:
                log.exception("message dispatcher failed; retrying in %.0fs", interval_s)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval_s)

    def _listen_and_deliver(self, interval_s: float, stop: asyncio.Event) -> None:
        url = self.factory.kw["bind"].url.render_as_string(hide_password=False).replace("+psycopg", "")
        with psycopg.connect(url, autocommit=True) as conn, commits_for(DISPATCHER_COMMITS):
            conn.execute(f"LISTEN {CHANNEL}")
            look = True
            next_look = 0.0
            while not stop.is_set():
                if look:
                    while self.deliver_due():
                        pass
                    next_look = time.monotonic() + min(interval_s, self._next_attempt_in())
                # The store is looked at again on the next commit that stored a message, when a retry is
                # due, or after ``interval_s``; in between, only a stop is checked (no transaction).
                wait = min(next_look - time.monotonic(), STOP_CHECK_S)
                notified = False
                for _ in conn.notifies(timeout=max(wait, 0.05), stop_after=1):
                    notified = True
                look = notified or time.monotonic() >= next_look

    def _next_attempt_in(self) -> float:
        with self.factory() as session:
            soonest = session.scalar(
                select(func.min(EngineMessage.next_attempt_at)).where(
                    EngineMessage.delivered_at.is_(None), EngineMessage.expired_at.is_(None)
                )
            )
            now = session.scalar(select(func.now()))
        if soonest is None or now is None:
            return 3600.0
        return max((soonest - now).total_seconds(), 0.0)
