"""Who is calling, and may they: HTTP Basic or an API key, checked against the role matrix.

One identity: API callers are the engine's users (the same people who log into Tasklist, and the
service users of other systems). A person's password is verified by the engine, through the engine
adapter (``OperatonClient.verify_user``); doorflow never stores it. A verified login is remembered in
memory for ``auth_cache_ttl_s`` under the user id and a keyed hash of the password (a key made at process
start), so the engine is not asked on every request, and a refused one likewise.

Service users (``svc-*``) and the system user never reach the engine's login, so nobody can lock them
there with wrong passwords: a service user presents its API key (``X-API-Key``, ``Authorization: Bearer``,
or as the Basic password), checked against its hash in the store (models/access), or, until an
administrator first rotates its key, the secret of its ``passwordEnv``; the system user's password is the
one the API itself holds (``DOORFLOW_ENGINE_SYSTEM_PASSWORD``).

Who a caller is comes from the login, never from anything a user can edit: the display name is the
identity file's (doorflow/identity.py), not the engine's profile, which its owner could change.

Wrong logins are throttled per client address and per user id (``AuthThrottle``): past the configured
number of failures in the window the caller gets 429 with Retry-After before anything is checked, so the
engine never sees a stream of wrong passwords. A client that logged in as a user recently is not held
back by failures others caused for that user.

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
import math
import re
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from api.access import Matrix
from doorflow import identity
from doorflow.operaton import EngineUnreachable, OperatonClient
from models.access import service as api_keys

REALM = 'Basic realm="doorflow"'
MAX_ACTOR_CHARS = 120  # audit_log.actor
MAX_CACHED = 10_000
SCHEME = "doorflowBasic"
KEY_SCHEME = "doorflowApiKey"
KEY_HEADER = "X-API-Key"


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


def declared_name(user_id: str) -> str:
    """The display name the identity file gives ``user_id`` (the user id for a user it does not declare).

    Never the engine's profile: its owner can edit that, and the audit trail would name whoever they typed.
    """
    try:
        declared = identity.user(user_id)
    except KeyError:
        return user_id
    return display_name(str(declared.get("firstName") or ""), str(declared.get("lastName") or ""))


def declared_caller(user_id: str) -> Caller:
    """A caller whose groups come from the identity file (service users and the system user)."""
    return Caller(user_id, declared_name(user_id), frozenset(identity.user(user_id)["groups"]))


class Authenticator:
    """Verifies logins and remembers a person's verdict briefly, in memory only.

    People: with the engine. Service users: against their API key's hash in the store (``sessions``,
    set by the app), never the engine and never remembered, so a rotation takes effect at once. The
    system user (``system``: the user and password the API itself holds): compared here.
    """

    def __init__(
        self,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        system: tuple[str, str] | None = None,
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._key = secrets.token_bytes(32)  # per process: the hashes mean nothing outside it
        self._cache: dict[tuple[str, bytes], tuple[float, Caller | None]] = {}
        self._lock = threading.Lock()
        self.system = system
        self.sessions = sessions
        self.engine_checks = 0  # how often the engine was asked (for tests and curiosity)

    def _digest(self, password: str) -> bytes:
        return hmac.new(self._key, password.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def authenticate(self, engine: OperatonClient, user_id: str, password: str) -> Caller | None:
        """The caller, or None for wrong credentials; raises EngineUnreachable if the engine cannot tell."""
        if self.system is not None and user_id == self.system[0]:
            right = hmac.compare_digest(self._digest(password), self._digest(self.system[1]))
            return declared_caller(user_id) if right else None
        if user_id in api_keys.service_user_ids():
            if self.sessions is None:
                return None
            with self.sessions() as session:
                return declared_caller(user_id) if api_keys.verify(session, user_id, password) else None
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
            caller = Caller(found.id, declared_name(found.id), found.groups)
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


def key_credentials(scope: Scope) -> tuple[str, str] | None:
    """(user, key) of an API key in ``X-API-Key`` or ``Authorization: Bearer``; the key names its user."""
    for name, value in scope.get("headers", []):
        token = b""
        if name == b"x-api-key":
            token = value
        elif name == b"authorization":
            scheme, _, rest = value.partition(b" ")
            if scheme.lower() == b"bearer":
                token = rest
        if token:
            try:
                key = token.strip().decode("ascii")
            except UnicodeDecodeError:
                return None
            user = api_keys.user_of_key(key)
            return (user, key) if user else None
    return None


def presented_credentials(scope: Scope) -> tuple[str, str] | None:
    """What the caller logs in with: an API key if it sends one, else HTTP Basic."""
    return key_credentials(scope) or basic_credentials(scope)


class AuthThrottle:
    """Counts failed logins per client address and per user id over a sliding window; past a limit, wait.

    ``retry_after`` answers how many seconds a (client, user) must wait, 0 when it may try. A client that
    logged in successfully as a user within ``known_client_s`` is not held back by the user's failures
    from elsewhere (a stranger cannot switch an integration off), only by its own address's failures.
    """

    MAX_TRACKED = 50_000

    def __init__(
        self,
        *,
        window_s: float,
        per_client: int,
        per_user: int,
        known_client_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.per_client = per_client
        self.per_user = per_user
        self.known_client_s = known_client_s
        self._clock = clock
        self._lock = threading.Lock()
        self._clients: dict[str, deque[float]] = {}
        self._users: dict[str, deque[float]] = {}
        self._known: dict[tuple[str, str], float] = {}

    def _recent(self, table: dict[str, deque[float]], key: str, now: float) -> deque[float] | None:
        found = table.get(key)
        if found is None:
            return None
        while found and found[0] <= now - self.window_s:
            found.popleft()
        if not found:
            del table[key]
            return None
        return found

    def _wait(self, table: dict[str, deque[float]], key: str, limit: int, now: float) -> float:
        found = self._recent(table, key, now)
        if found is None or len(found) < limit:
            return 0.0
        # Free again once enough of the failures have left the window.
        return found[len(found) - limit] + self.window_s - now

    def retry_after(self, client: str, user: str | None) -> int:
        """Seconds to wait before this client may try to log in (as ``user``; None: no user named), else 0."""
        now = self._clock()
        with self._lock:
            wait = self._wait(self._clients, client, self.per_client, now)
            known = user is None or self._known.get((client, user), -math.inf) > now - self.known_client_s
            if not known and user is not None:
                wait = max(wait, self._wait(self._users, user, self.per_user, now))
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, client: str, user: str | None) -> None:
        now = self._clock()
        with self._lock:
            self._prune(now)
            self._clients.setdefault(client, deque()).append(now)
            if user is not None:
                self._users.setdefault(user, deque()).append(now)

    def succeeded(self, client: str, user: str) -> None:
        now = self._clock()
        with self._lock:
            self._prune(now)
            self._known[(client, user)] = now

    def _prune(self, now: float) -> None:
        if len(self._clients) + len(self._users) > self.MAX_TRACKED:
            for table in (self._clients, self._users):
                for key in list(table):
                    self._recent(table, key, now)
        if len(self._known) > self.MAX_TRACKED:
            self._known = {k: t for k, t in self._known.items() if t > now - self.known_client_s}


def client_address(scope: Scope) -> str:
    """The caller's address (behind a reverse proxy: the one uvicorn takes from X-Forwarded-For, see docs)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


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
        credentials = presented_credentials(scope)
        client = client_address(scope)
        throttle: AuthThrottle = app.state.throttle
        if credentials is None:
            detail = "需要登录：请用引擎账号（HTTP Basic）或服务用户的 API 密钥（X-API-Key）调用 doorflow API。"
            wait = throttle.retry_after(client, None)
            if wait:
                return _too_many(wait)
            if _says_authorization(scope):
                throttle.failed(client, None)  # a malformed login counts against the client like a wrong one
            return _answer(401, detail, {"WWW-Authenticate": REALM})
        wait = throttle.retry_after(client, credentials[0])
        if wait:
            return _too_many(wait)
        authenticator: Authenticator = app.state.authenticator
        try:
            caller = await run_in_threadpool(authenticator.authenticate, app.state.engine, *credentials)
        except EngineUnreachable as exc:
            detail = f"The process engine is unreachable, so the login cannot be verified. Retry later. ({exc})"
            return _answer(503, detail, {"Retry-After": "30"})
        if caller is None:
            throttle.failed(client, credentials[0])
            detail = "用户名、密码或 API 密钥错误（多次输错后需等待一段时间才能再试）。"
            return _answer(401, detail, {"WWW-Authenticate": REALM})
        throttle.succeeded(client, caller.user_id)
        allowed = matrix.allowed(op.method, op.path)
        route = f"{op.method} {op.path}"
        if allowed is None:
            return _answer(403, f"{route} 不在权限表（{matrix.source.name}）中：任何人都不能调用。", allowed_groups=[])
        if not caller.groups & set(allowed):
            detail = f"{caller.user_id} 无权调用 {route}：仅限以下组的成员：{'、'.join(allowed)}。"
            return _answer(403, detail, allowed_groups=list(allowed))
        scope.setdefault("state", {})["caller"] = caller
        return None


def _says_authorization(scope: Scope) -> bool:
    return any(name in (b"authorization", b"x-api-key") for name, _ in scope.get("headers", []))


def _too_many(wait: int) -> JSONResponse:
    detail = f"登录失败次数过多：请在 {wait} 秒后再试。"
    return _answer(429, detail, {"Retry-After": str(wait)})


def current_caller(request: Request) -> Caller:
    """The authenticated caller, put on the request by ``AccessGuard``."""
    caller: Caller | None = request.scope.get("state", {}).get("caller")
    if caller is None:
        raise RuntimeError(f"{request.method} {request.url.path} was reached without AccessGuard's check")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def document_security(app: FastAPI, matrix: Matrix) -> None:
    """Say in the OpenAPI document that every operation but the open ones needs HTTP Basic or an API key."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()  # FastAPI's own, cached until the routes change
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        if SCHEME in schemes:
            return schema
        schemes[SCHEME] = {
            "type": "http",
            "scheme": "basic",
            "description": "The caller's engine user and password (the Tasklist login); a service user may send "
            "its API key as the password.",
        }
        schemes[KEY_SCHEME] = {
            "in": "header",
            "name": KEY_HEADER,
            "description": "A service user's API key (also accepted as `Authorization: Bearer <key>`); "
            "an administrator rotates it: `python -m doorflow api-key rotate <user>`.",
            "type": "apiKey",
        }
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                if matrix.is_public(method.upper(), path):
                    continue
                operation["security"] = [{SCHEME: []}, {KEY_SCHEME: []}]
                groups = matrix.allowed(method.upper(), path) or ()
                who = f"May be called by the groups: {', '.join(groups) or 'none'}."
                operation["description"] = (operation.get("description", "") + "\n\n" + who).strip()
                responses = operation.setdefault("responses", {})
                responses.setdefault("401", {"description": "No credentials, or wrong ones."})
                responses.setdefault("403", {"description": "None of the caller's groups may call this route."})
                responses.setdefault(
                    "429",
                    {"description": "Too many failed logins from this client or for this user: wait (Retry-After)."},
                )
                responses.setdefault(
                    "503",
                    {"description": "The engine, which verifies logins, is unreachable and the login is not "
                     "remembered yet; retry later (Retry-After)."},
                )  # fmt: skip
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
