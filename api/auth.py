"""Who is calling, and may they: HTTP Basic with engine credentials, checked against the role matrix.

One identity: API callers are the engine's users (the same people who log into Tasklist, and the
service users of other systems). Their password is verified by the engine, through the engine adapter
(``OperatonClient.verify_user``); doorflow never stores it. A verified login is remembered in memory for
``auth_cache_ttl_s`` under the user id and a keyed hash of the password (a key made at process start),
so the engine is not asked on every request, and a refused one likewise, so a client retrying a wrong
password does not count a failed login at the engine on every request (the engine locks an account
after wrong passwords).

``AccessGuard`` is the one gate, an ASGI middleware in front of routing: for every operation of the
OpenAPI document it answers 401 without (or with wrong) credentials, 503 when the engine cannot verify
them and nothing is remembered, and 403 when none of the caller's groups may call the route
(``config/access.toml``; a route not listed there is refused for everyone). Only then does the request
reach parsing, validation and the route, so an unauthorised caller never sees a 404 or a 422.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from api.access import Matrix
from doorflow.operaton import EngineUnreachable, OperatonClient

REALM = 'Basic realm="doorflow"'
MAX_ACTOR_CHARS = 120  # audit_log.actor
MAX_CACHED = 10_000
SCHEME = "doorflowBasic"


@dataclass(frozen=True)
class Caller:
    """The authenticated engine user of a request."""

    user_id: str
    name: str  # display name: 王磊 (family name first for Chinese names)
    groups: frozenset[str]

    @property
    def actor(self) -> str:
        """How the audit trail names them: the engine user id, and the display name where there is room."""
        if not self.name or self.name == self.user_id:
            full = self.user_id
        elif self.name.startswith(self.user_id + " "):
            full = self.name  # "doorflow 服务", not "doorflow doorflow 服务"
        else:
            full = f"{self.user_id} {self.name}"
        return full if len(full) <= MAX_ACTOR_CHARS else self.user_id[:MAX_ACTOR_CHARS]


def display_name(first: str, last: str) -> str:
    """王磊 for lastName 王 and firstName 磊; "Anna Li" for Latin names."""
    if last and first and not (last.isascii() or first.isascii()):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


class Authenticator:
    """Verifies (user, password) with the engine and remembers the verdict briefly, in memory only."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._key = secrets.token_bytes(32)  # per process: the hashes mean nothing outside it
        self._cache: dict[tuple[str, bytes], tuple[float, Caller | None]] = {}
        self._lock = threading.Lock()
        self.engine_checks = 0  # how often the engine was asked (for tests and curiosity)

    def _digest(self, password: str) -> bytes:
        return hmac.new(self._key, password.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def authenticate(self, engine: OperatonClient, user_id: str, password: str) -> Caller | None:
        """The caller, or None for wrong credentials; raises EngineUnreachable if the engine cannot tell."""
        key = (user_id, self._digest(password))
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        self.engine_checks += 1
        found = engine.verify_user(user_id, password)
        caller = None
        if found is not None:
            caller = Caller(found.id, display_name(found.first_name, found.last_name), found.groups)
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) < MAX_CACHED and self.ttl_s > 0:
                self._cache[key] = (now + self.ttl_s, caller)
        return caller


def basic_credentials(scope: Scope) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic`` header (UTF-8, RFC 7617), or None."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() != b"basic":
                return None
            try:
                text = base64.b64decode(token.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            user, sep, password = text.partition(":")
            if not sep or not user or any(unicodedata.category(c) == "Cc" for c in user):
                return None
            return user, password
    return None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    pattern: re.Pattern[str]


def operations(app: FastAPI) -> list[Operation]:
    """Every operation of the app's OpenAPI document, in routing order, with a pattern for its path."""
    found = []
    for path, item in app.openapi()["paths"].items():
        pattern = compile_path(path)[0]
        for method in item:
            found.append(Operation(method.upper(), path, pattern))
    return found


def _answer(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail, **extra}, headers=headers)


class AccessGuard:
    """The one gate of the API (see the module's docstring). Reads ``app.state``: access, authenticator, engine."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._operations: list[Operation] | None = None

    def _operation(self, app: FastAPI, method: str, path: str) -> Operation | None:
        if self._operations is None:
            self._operations = operations(app)
        method = "GET" if method == "HEAD" else method
        for op in self._operations:
            if op.method == method and op.pattern.match(path):
                return op
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app: FastAPI = scope["app"]
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        op = self._operation(app, scope["method"], path)
        matrix: Matrix = app.state.access
        if op is None or matrix.is_public(op.method, op.path):
            await self.app(scope, receive, send)  # not an operation (docs, 404, 405, OPTIONS), or open to all
            return
        response = await self._check(app, scope, op, matrix)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _check(self, app: FastAPI, scope: Scope, op: Operation, matrix: Matrix) -> JSONResponse | None:
        credentials = basic_credentials(scope)
        if credentials is None:
            detail = "需要登录：请用引擎账号（HTTP Basic 用户名和密码）调用 doorflow API。"
            return _answer(401, detail, {"WWW-Authenticate": REALM})
        authenticator: Authenticator = app.state.authenticator
        try:
            caller = await run_in_threadpool(authenticator.authenticate, app.state.engine, *credentials)
        except EngineUnreachable as exc:
            detail = f"The process engine is unreachable, so the login cannot be verified. Retry later. ({exc})"
            return _answer(503, detail, {"Retry-After": "30"})
        if caller is None:
            detail = "用户名或密码错误（引擎在密码输错后会暂时锁定该账号）。"
            return _answer(401, detail, {"WWW-Authenticate": REALM})
        allowed = matrix.allowed(op.method, op.path)
        route = f"{op.method} {op.path}"
        if allowed is None:
            return _answer(403, f"{route} 不在权限表（{matrix.source.name}）中：任何人都不能调用。", allowed_groups=[])
        if not caller.groups & set(allowed):
            detail = f"{caller.user_id} 无权调用 {route}：仅限以下组的成员：{'、'.join(allowed)}。"
            return _answer(403, detail, allowed_groups=list(allowed))
        scope.setdefault("state", {})["caller"] = caller
        return None


def current_caller(request: Request) -> Caller:
    """The authenticated caller, put on the request by ``AccessGuard``."""
    caller: Caller | None = request.scope.get("state", {}).get("caller")
    if caller is None:
        raise RuntimeError(f"{request.method} {request.url.path} was reached without AccessGuard's check")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def document_security(app: FastAPI, matrix: Matrix) -> None:
    """Say in the OpenAPI document that every operation but the open ones needs HTTP Basic (Swagger's Authorize)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()  # FastAPI's own, cached until the routes change
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        if SCHEME in schemes:
            return schema
        schemes[SCHEME] = {
            "type": "http",
            "scheme": "basic",
            "description": "The caller's engine user and password (the Tasklist login, or a service user).",
        }
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                if matrix.is_public(method.upper(), path):
                    continue
                operation["security"] = [{SCHEME: []}]
                groups = matrix.allowed(method.upper(), path) or ()
                who = f"May be called by the groups: {', '.join(groups) or 'none'}."
                operation["description"] = (operation.get("description", "") + "\n\n" + who).strip()
                responses = operation.setdefault("responses", {})
                responses.setdefault("401", {"description": "No credentials, or wrong ones."})
                responses.setdefault("403", {"description": "None of the caller's groups may call this route."})
                responses.setdefault(
                    "503",
                    {"description": "The engine, which verifies logins, is unreachable and the login is not "
                     "remembered yet; retry later (Retry-After)."},
                )  # fmt: skip
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
