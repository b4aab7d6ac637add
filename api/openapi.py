"""The OpenAPI document tells what the error answers look like, not only that they exist.

A route documents which errors it can give (``responses={404: {"description": ...}}``); the handlers in
:mod:`api.main` give every one of them the same body, ``{"detail": "<text>"}``. This module adds that
body to each documented 404, 409, 502 and 503 that does not describe its own, so a client (and the
fuzzer in ``tests/test_fuzz.py``) can check it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

# The statuses the app's exception handlers answer with an ErrorOut (NotFound, Conflict, EngineRejected,
# EngineUnreachable).
ERROR_STATUSES = ("404", "409", "502", "503")
REF = "#/components/schemas/ErrorOut"


class ErrorOut(BaseModel):
    """An error answer: what went wrong, in one text."""

    detail: str


def document_error_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """Give every documented error status without a body of its own the ErrorOut body (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if status in ERROR_STATUSES and "content" not in response:
                    response["content"] = {"application/json": {"schema": {"$ref": REF}}}
    return document
