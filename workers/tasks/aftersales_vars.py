"""Variable parsing shared by the after-sales workers (bad values become incidents via BadJobData)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar

from models.aftersales.service import parse_engine_time
from models.errors import InvalidInput, NotFound
from workers.runtime import BadJobData, require_int

P = ParamSpec("P")
R = TypeVar("R")


class TicketNotVisibleYet(RuntimeError):
    """The ticket is still not visible; a plain exception, so the runtime retries with back-off."""


# The API starts the instance before its transaction commits (engine last, so a failed start keeps
# nothing), so a fast worker can look for the ticket a few milliseconds too early. Under READ COMMITTED
# each query sees rows committed meanwhile, so the handler waits briefly instead of failing the job:
# a failed job's retry back-off would never end while a test holds the engine clock still.
VISIBILITY_WAIT_S = 10.0
VISIBILITY_POLL_S = 0.1


def retry_if_missing(service_call: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    deadline = time.monotonic() + VISIBILITY_WAIT_S
    while True:
        try:
            return service_call(*args, **kwargs)
        except NotFound as exc:
            if time.monotonic() > deadline:
                raise TicketNotVisibleYet(str(exc)) from exc
        time.sleep(VISIBILITY_POLL_S)


def ticket_id(variables: dict[str, Any]) -> int:
    return require_int(variables, "ticketId")


def key(variables: dict[str, Any]) -> str:
    return f"ticket:{variables.get('ticketId')}"


def engine_time(variables: dict[str, Any], name: str = "engineNow") -> datetime:
    try:
        return parse_engine_time(variables.get(name), name)
    except InvalidInput as exc:
        raise BadJobData(str(exc)) from exc


def require_bool(variables: dict[str, Any], name: str) -> bool:
    value = variables.get(name)
    if not isinstance(value, bool):
        raise BadJobData(f"variable {name!r} must be true or false, got {value!r}")
    return value


def optional_bool(variables: dict[str, Any], name: str) -> bool:
    """A form checkbox left untouched may be absent: that means no."""
    value = variables.get(name)
    return False if value is None else require_bool(variables, name)


def require_text(variables: dict[str, Any], name: str) -> str:
    value = variables.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadJobData(f"variable {name!r} must be a non-empty text, got {value!r}")
    return value.strip()


def optional_text(variables: dict[str, Any], name: str) -> str | None:
    value = variables.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return require_text(variables, name)


def optional_date(variables: dict[str, Any], name: str) -> date | None:
    value = variables.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadJobData(f"variable {name!r} must be an ISO date, got {value!r}")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise BadJobData(f"variable {name!r} must be an ISO date, got {value!r}") from exc
