"""Parsing of the change-request subprocess variables, shared by the doorflow.change.* handlers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from workers.runtime import BadJobData, require_int


def change_id(variables: dict[str, Any]) -> int:
    return require_int(variables, "changeRequestId")


def business_key(variables: dict[str, Any]) -> str:
    return f"change:{change_id(variables)}"


def whole_number(variables: dict[str, Any], name: str) -> int:
    """An integer a form's number field may deliver as 3 or 3.0."""
    value = variables.get(name)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return require_int(variables, name)


def money(variables: dict[str, Any], name: str) -> Decimal:
    """A CNY amount from a number field or a decimal string, to the fen; never through float arithmetic."""
    value = variables.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadJobData(f"variable {name!r} must be an amount, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise BadJobData(f"variable {name!r} must be an amount, got {value!r}") from exc
    if not amount.is_finite():
        raise BadJobData(f"variable {name!r} must be an amount, got {value!r}")
    return amount.quantize(Decimal("0.01"))


def flag(variables: dict[str, Any], name: str) -> bool:
    """A checkbox: absent or null means not ticked."""
    value = variables.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadJobData(f"variable {name!r} must be true or false, got {value!r}")
    return value


def optional_flag(variables: dict[str, Any], name: str) -> bool | None:
    value = variables.get(name)
    return None if value is None else flag(variables, name)


def text(variables: dict[str, Any], name: str) -> str | None:
    value = variables.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadJobData(f"variable {name!r} must be text, got {value!r}")
    return value
