"""The FastAPI application: ``uvicorn api.main:app`` (settings from the environment)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import access
from api.auth import AccessGuard, Authenticator, AuthThrottle, document_security
from api.limits import BodyLimit, short_errors
from api.methods import AllowedMethods
from api.openapi import document_error_bodies
from api.routes import (
    aftersales,
    calendar,
    changes,
    collection,
    costs,
    dashboard,
    documents,
    health,
    hold,
    installation,
    lifecycle,
    orders,
    production,
    reports,
    risks,
    suppliers,
)
from doorflow.history import EngineHistory
from doorflow.operaton import EngineRejected, EngineUnreachable, OperatonClient
from doorflow.settings import Settings, get_settings
from models.db import make_engine, make_sessionmaker
from models.errors import Conflict, InvalidInput, NotFound


class AsciiJSONResponse(JSONResponse):
    """JSON with ASCII escapes: a 422 echoes (an excerpt of) the input, which may hold a lone surrogate."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def create_app(settings: Settings | None = None, authenticator: Authenticator | None = None) -> FastAPI:
    """The app; ``authenticator`` (whose memory of verified logins the app uses) defaults to a new one."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.database_url:
            raise RuntimeError("DATABASE_URL is not set")
        db = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.sessionmaker = make_sessionmaker(db)
        app.state.authenticator.sessions = app.state.sessionmaker  # service users' API keys
        app.state.engine = OperatonClient(
            settings.engine_url, settings.engine_user, settings.engine_password, settings.engine_request_timeout_s
        )
        app.state.history = EngineHistory(app.state.engine)
        yield
        app.state.engine.close()
        db.dispose()

    # The docs pages load Swagger UI and ReDoc from files shipped in a package, not from a CDN: the
    # factory's network may have no internet.
    app = FastAPIOffline(
        title="doorflow API",
        description="The door for other systems into doorflow, the custom-door factory's workflow backbone.",
        version="0.1.0",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from an outside validator
    )
    app.include_router(orders.router)
    app.include_router(documents.router)
    app.include_router(production.router)
    app.include_router(installation.router)
    app.include_router(aftersales.router)
    app.include_router(changes.router)
    app.include_router(lifecycle.router)
    app.include_router(collection.router)
    app.include_router(reports.router)
    app.include_router(health.router)
    app.add_middleware(AllowedMethods)
    app.include_router(calendar.router)
    app.include_router(hold.router)
    app.include_router(suppliers.router)
    app.include_router(costs.router)
    app.include_router(risks.router)
    app.include_router(dashboard.router)
    # Authentication and the role matrix (config/access.toml): outermost, before routing, parsing and methods.
    app.state.access = access.load(settings.access_file)
    app.state.authenticator = authenticator or Authenticator(
        settings.auth_cache_ttl_s, system=(settings.engine_user, settings.engine_password)
    )
    app.state.throttle = AuthThrottle(
        window_s=settings.auth_throttle_window_s,
        per_client=settings.auth_throttle_per_client,
        per_user=settings.auth_throttle_per_user,
        known_client_s=settings.auth_known_client_s,
    )
    document_security(app, app.state.access)
    app.add_middleware(AccessGuard)
    # Outermost: a body above the limit is refused before the login check, and before it is read.
    app.add_middleware(
        BodyLimit,
        max_body_bytes=settings.api_max_body_bytes,
        max_document_body_bytes=settings.api_max_document_body_bytes,
    )

    @app.exception_handler(RequestValidationError)
    async def unparsable(_: Request, exc: RequestValidationError) -> JSONResponse:
        return AsciiJSONResponse(status_code=422, content={"detail": jsonable_encoder(short_errors(exc.errors()))})

    @app.exception_handler(StarletteHTTPException)
    async def unreadable_body(request: Request, exc: StarletteHTTPException) -> Response:
        """A body that is not text (not UTF-8) is a 422 naming the body, like one that is not JSON.

        FastAPI answers it with a bare 400 ("There was an error parsing the body") that no route documents.
        """
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            detail = [{"type": "json_invalid", "loc": ["body"], "msg": "the body is not UTF-8 JSON text", "input": {}}]
            return JSONResponse(status_code=422, content={"detail": detail})
        return await http_exception_handler(request, exc)

    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        detail = [{"type": "value_error", "loc": list(exc.loc), "msg": exc.message}]
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(EngineUnreachable)
    async def engine_down(_: Request, exc: EngineUnreachable) -> JSONResponse:
        content = {"detail": f"The process engine is unreachable; nothing was stored. Retry later. ({exc})"}
        return JSONResponse(status_code=503, content=content, headers={"Retry-After": "30"})

    @app.exception_handler(EngineRejected)
    async def engine_refused(_: Request, exc: EngineRejected) -> JSONResponse:
        return JSONResponse(status_code=502, content={"detail": f"The process engine refused the request: {exc}"})

    generated_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """The generated document, with the error answers' body added once (see api.openapi)."""
        first = app.openapi_schema is None
        document = generated_openapi()
        return document_error_bodies(document) if first else document

    app.openapi = openapi  # type: ignore[method-assign]

    return app


def __getattr__(name: str) -> FastAPI:
    """``api.main:app`` for uvicorn, built lazily so importing this module needs no environment."""
    if name == "app":
        return create_app()
    raise AttributeError(name)
