"""Parsing of form and process variables for handlers; anything unusable is ``BadJobData`` (an incident)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from workers.runtime import BadJobData


def opt_str(variables: dict[str, Any], name: str) -> str | None:
    value = variables.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise BadJobData(f"variable {name!r} must be text, got {value!r}")
    return value.strip()


def req_str(variables: dict[str, Any], name: str) -> str:
    value = opt_str(variables, name)
    if value is None:
        raise BadJobData(f"variable {name!r} is required")
    return value


def opt_date(variables: dict[str, Any], name: str) -> date | None:
    value = opt_str(variables, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise BadJobData(f"variable {name!r} must be an ISO date, got {value!r}") from exc


def req_date(variables: dict[str, Any], name: str) -> date:
    value = opt_date(variables, name)
    if value is None:
        raise BadJobData(f"variable {name!r} is required")
    return value


def req_datetime(variables: dict[str, Any], name: str) -> datetime:
    """An ISO date-time such as FEEL ``now()`` gives (``2026-11-23T14:05:31.123+01:00[Europe/Berlin]``)."""
    value = req_str(variables, name).split("[", 1)[0]
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadJobData(f"variable {name!r} must be an ISO date-time, got {value!r}") from exc
    if parsed.tzinfo is None:
        raise BadJobData(f"variable {name!r} must carry a time zone, got {value!r}")
    return parsed


def choice(variables: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    """One of the form's radio values."""
    value = variables.get(name)
    if value not in choices:
        raise BadJobData(f"variable {name!r} must be one of {choices}, got {value!r}")
    return str(value)


def yes_no(variables: dict[str, Any], name: str, yes: str = "yes", no: str = "no") -> bool:
    """A radio answer (``yes``/``no`` or another pair) or a boolean."""
    value = variables.get(name)
    if isinstance(value, bool):
        return value
    if value == yes:
        return True
    if value == no:
        return False
    raise BadJobData(f"variable {name!r} must be {yes!r} or {no!r}, got {value!r}")


def opt_decimal(variables: dict[str, Any], name: str) -> Decimal | None:
    value = variables.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadJobData(f"variable {name!r} must be a number, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise BadJobData(f"variable {name!r} must be a number, got {value!r}") from exc
    if not result.is_finite():
        raise BadJobData(f"variable {name!r} must be a finite number, got {value!r}")
    return result
