"""OPTIONS and 405 answers name every method of the path, not just those of the first route that matched.

Starlette answers a wrong method with the ``Allow`` of the first route whose path matched (``/orders``
has one route for GET and another for POST, so a PUT was told "POST" only) and has no answer for
OPTIONS. This middleware asks every route of the app which methods it takes for the request's path.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CANDIDATES = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def route_methods(scope: Scope) -> set[str]:
    """The methods some route of the app answers for this request's path."""
    routes = scope["app"].routes
    found: set[str] = set()
    for method in CANDIDATES:
        probe = {"type": "http", "method": method, "path": scope["path"], "root_path": scope.get("root_path", "")}
        if any(route.matches({**probe, "headers": []})[0] == Match.FULL for route in routes):
            found.add(method)
    return found


def _allow(methods: set[str]) -> str:
    return ", ".join(sorted(methods | {"OPTIONS"}))


class AllowedMethods:
    """Answers OPTIONS (204 with ``Allow``) for paths that exist, and gives every 405 the path's full ``Allow``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            methods = route_methods(scope)
            if methods and "OPTIONS" not in methods:
                await Response(status_code=204, headers={"Allow": _allow(methods)})(scope, receive, send)
                return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = route_methods(scope)
                if methods:
                    MutableHeaders(scope=message)["Allow"] = _allow(methods)
            await send(message)

        await self.app(scope, receive, send_with_allow)
