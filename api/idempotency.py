"""The ``Idempotency-Key`` header of creation routes (the rules live in :mod:`models.idempotency`).

A creation route takes ``dependencies=[IDEMPOTENT]`` on a router with ``route_class=IdempotentRoute``.
The dependency claims the key inside the request's transaction before the route runs, or answers a
repeat with the stored answer without running it; the route class writes the answer the route produced
to the claimed key, still inside that transaction (it commits after, see ``api.deps.transaction``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import CallerDep
from api.deps import SessionDep, SettingsDep
from models import idempotency

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_CLAIM = "doorflow.idempotency_claim"


class _Replay(Exception):
    """Short-cuts a repeated request: the route does not run, the stored answer is sent."""

    def __init__(self, answer: idempotency.StoredAnswer) -> None:
        self.answer = answer


async def _request_hash(request: Request) -> str:
    """The whole request: method, path, query string and body."""
    return idempotency.fingerprint(request.method, request.url.path, request.url.query, await request.body())


def _claim(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
    request_hash: Annotated[str, Depends(_request_hash)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="A key the client chooses once per intended creation (e.g. a UUID). A repeat with the "
            "same key answers the first result (same status and body) and creates nothing; the same key with "
            "a different request (method, path, query string or body) is a 409. Keys are the caller's own (another "
            "caller's same key is another key) and per route; they are forgotten after the configured retention "
            "(idempotency_retention_hours); a failed attempt does not use up its key.",
        ),
    ] = None,
) -> None:
    if idempotency_key is None:
        return
    route = request.scope["route"]
    if not isinstance(route, IdempotentRoute):
        raise RuntimeError(f"{route.path}: IDEMPOTENT needs a router with route_class=IdempotentRoute")
    scope = f"{request.method} {route.path}"
    retention = timedelta(hours=settings.idempotency_retention_hours)
    outcome = idempotency.claim(session, caller.user_id, scope, idempotency_key, request_hash, retention)
    if isinstance(outcome, idempotency.StoredAnswer):
        raise _Replay(outcome)
    request.scope[_CLAIM] = (session, outcome)


IDEMPOTENT = Depends(_claim)
KEY_CONFLICT = "The Idempotency-Key was already used for a different request to this route; nothing is stored."


class IdempotentRoute(APIRoute):
    """Stores the answer of a route that claimed an Idempotency-Key, and sends the stored one for repeats.

    A route with ``IDEMPOTENT`` documents the 409 of a key used for a different request, added to the
    route's own 409 (if it has one) so that no creation route can forget it.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if any(dependency is IDEMPOTENT for dependency in self.dependencies):
            own = self.responses.get(409) or self.responses.get("409")
            also = f"Or: the{KEY_CONFLICT.removeprefix('The')}"
            description = KEY_CONFLICT if own is None else f"{own['description']} {also}"
            responses = {code: answer for code, answer in self.responses.items() if str(code) != "409"}
            self.responses = {**responses, 409: {**(own or {}), "description": description}}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except _Replay as replay:
                stored = replay.answer
                return Response(
                    stored.body,
                    status_code=stored.status_code,
                    media_type=stored.media_type,
                    headers={REPLAYED_HEADER: "true"},
                )
            claim: tuple[Session, int] | None = request.scope.pop(_CLAIM, None)
            if claim is not None:
                session, record_id = claim
                answer = idempotency.StoredAnswer(
                    response.status_code,
                    response.headers.get("content-type", "application/json"),
                    bytes(response.body).decode(),
                )
                await run_in_threadpool(idempotency.remember, session, record_id, answer)
            return response

        return handle
