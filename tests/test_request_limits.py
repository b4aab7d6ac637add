"""Issue 16 item 7 (API side): bodies above the limit get 413 before they are read; a 422 echoes a short excerpt.

No engine and no database: the limit is the outermost middleware, and the login is a stand-in that lets
every request through (the requests that reach a route fail before they need either).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Authenticator, Caller
from api.limits import MAX_ECHO_CHARS, MAX_ERRORS
from api.main import create_app
from doorflow.operaton import OperatonClient
from doorflow.settings import Settings
from models.db import make_engine, make_sessionmaker

MIB = 1_048_576


class Admitted(Authenticator):
    """A login stand-in: every caller is an administrator (the tests here are about bodies, not logins)."""

    def authenticate(self, engine: OperatonClient, user_id: str, password: str) -> Caller | None:
        return Caller(user_id, user_id, frozenset({"operaton-admin"}))


def _app(**values: Any) -> FastAPI:
    settings = Settings(_env_file=None, database_url="postgresql://doorflow@127.0.0.1:9/none", **values)
    app = create_app(settings, Admitted(0))
    app.state.settings = settings
    app.state.engine = None  # never asked: the stand-in login does not call it
    # A session that never connects: a session opens no connection before its first statement.
    app.state.sessionmaker = make_sessionmaker(make_engine(settings.database_url or ""))
    return app


def _client(app: FastAPI) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    client.auth = ("wanglei", "whatever")
    return client


def test_a_50_mb_body_with_its_length_is_refused_413_unread_and_at_once() -> None:
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        for i in range(50):
            sent.append(i)
            yield b"x" * MIB

    started = time.monotonic()
    answer = _client(_app()).post(
        "/orders", content=body(), headers={"Content-Length": str(50 * MIB), "Content-Type": "application/json"}
    )
    assert answer.status_code == 413, answer.text
    assert "请求体过大" in answer.json()["detail"]
    assert sent == []  # not one byte of the body was read
    assert time.monotonic() - started < 2


def test_a_chunked_body_is_counted_and_refused_at_the_first_chunk_past_the_limit() -> None:
    """Without Content-Length the body arrives in chunks: reading stops with a 413 once past the limit."""
    app = _app(api_max_body_bytes=64 * 1024)
    read: list[int] = []
    replies: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        read.append(len(read))
        return {"type": "http.request", "body": b"[" + b"1," * 16 * 1024, "more_body": len(read) < 3200}

    async def send(message: MutableMapping[str, Any]) -> None:
        replies.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/orders", "raw_path": b"/orders", "root_path": "", "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked"),
                    (b"authorization", b"Basic d2FuZ2xlaTp4")],
        "client": ("127.0.0.1", 1), "server": ("testserver", 80), "app": app,
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    assert replies[0]["status"] == 413
    assert "请求体过大" in json.loads(replies[1]["body"])["detail"]
    assert len(read) <= 3  # 32 KiB chunks: the third one passes 64 KiB; 100 MB were offered


def test_document_routes_have_their_own_larger_limit() -> None:
    client = _client(_app(api_max_body_bytes=2048, api_max_document_body_bytes=8192))
    body = json.dumps({"reason": "x" * 3000}).encode()
    assert client.post("/orders", content=body, headers={"Content-Type": "application/json"}).status_code == 413
    # Under /documents/ the same body is within the limit: it is read and validated.
    json_type = {"Content-Type": "application/json"}
    at_document = client.post("/documents/1/access-requests", content=body, headers=json_type)
    assert at_document.status_code == 422  # read and validated: the reason is over its 2000 characters
    big = json.dumps({"reason": "x" * 9000}).encode()
    assert client.post("/documents/1/access-requests", content=big).status_code == 413


def test_a_422_echoes_only_a_short_excerpt_of_the_input() -> None:
    """A body just under the limit that fails validation: the answer is a few kB, not the body again."""
    client = _client(_app())
    body = json.dumps({"customer_name": "x" * 900_000, "lines": "not a list"}).encode()
    answer = client.post("/orders", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text[:300]
    assert len(answer.content) < 10_000, len(answer.content)
    for error in answer.json()["detail"]:
        assert len(json.dumps(error.get("input"), ensure_ascii=False)) <= MAX_ECHO_CHARS + 10


def test_a_422_names_at_most_a_bounded_number_of_errors() -> None:
    client = _client(_app())
    lines = [{"door_type": "none", "width_mm": "x", "height_mm": "y", "quantity": -1}] * 2000
    answer = client.post("/orders", json={"lines": lines})
    assert answer.status_code == 422
    assert len(answer.json()["detail"]) <= MAX_ERRORS
    assert len(answer.content) < 50_000
