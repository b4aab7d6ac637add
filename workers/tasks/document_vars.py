"""Shared parsing for the document-access tasks (not a topic: no TASK_TYPE)."""

from __future__ import annotations

from typing import Any

from workers.runtime import BadJobData


def whole_number(variables: dict[str, Any], name: str) -> int:
    """An id typed in a Tasklist number field: Long, Integer, a whole Double or digits."""
    value = variables.get(name)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadJobData(f"variable {name!r} must be a whole number, got {value!r}")
    try:
        return int(value)
    except ValueError as exc:
        raise BadJobData(f"variable {name!r} must be a whole number, got {value!r}") from exc
