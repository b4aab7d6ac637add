"""How much a caller may send, and how much of it an error echoes back.

``BodyLimit`` is the API's outermost middleware. A request whose ``Content-Length`` is above the limit is
answered 413 before anything else runs (no login check, no read); a body without a length (chunked) is
counted while the app reads it, and the read stops with a 413 at the first chunk past the limit, so
no more than the limit plus one chunk is ever held. The limit is ``api_max_body_bytes``; paths under
``/documents/`` have ``api_max_document_body_bytes``.

A 422 from request validation echoes at most ``MAX_ECHO_CHARS`` of each wrong input and at most
``MAX_ERRORS`` errors (FastAPI's default body repeats the whole input: a 1 MiB body came back whole).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCUMENT_PREFIX = "/documents/"
MAX_ECHO_CHARS = 200
MAX_ERRORS = 50


def too_large_message(limit: int) -> str:
    return f"请求体过大：此接口最多接受 {limit} 字节（{limit / 1_048_576:.1f} MiB），请求未被处理。"


class BodyTooLarge(HTTPException):
    """The body grew past the limit while it was read (an HTTPException, so FastAPI passes it on unchanged)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(limit))


class BodyLimit:
    """Refuses (413) request bodies above the configured size, before or while they are read."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_document_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_document_body_bytes = max_document_body_bytes

    def limit_for(self, path: str) -> int:
        return self.max_document_body_bytes if path.startswith(DOCUMENT_PREFIX) else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            # Not read at all; the connection is closed after the answer, so the rest is never received.
            await _refuse(limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(limit)(scope, receive, send)


def _refuse(limit: int) -> JSONResponse:
    return JSONResponse(status_code=413, content={"detail": too_large_message(limit)}, headers={"Connection": "close"})


def _excerpt(value: Any) -> Any:
    """The value itself when short, else the start of its JSON text followed by an ellipsis."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= MAX_ECHO_CHARS:
        return value
    return text[:MAX_ECHO_CHARS] + "…"


def short_errors(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors with each ``input`` cut to an excerpt and ``ctx`` values likewise, the first MAX_ERRORS."""
    out = []
    for error in list(errors)[:MAX_ERRORS]:
        error = dict(error)
        if "input" in error:
            error["input"] = _excerpt(error["input"])
        if isinstance(error.get("ctx"), dict):
            error["ctx"] = {k: _excerpt(v) for k, v in error["ctx"].items()}
        out.append(error)
    return out
