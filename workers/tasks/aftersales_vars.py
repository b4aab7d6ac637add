"""Variable parsing shared by the after-sales workers (bad values become incidents via BadJobData)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.aftersales.service import parse_engine_time
from models.errors import InvalidInput
from workers.runtime import BadJobData, require_int


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
