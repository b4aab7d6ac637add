"""Variable parsing and settings → service config shared by the production and installation workers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from doorflow.settings import Settings
from models.production.service import PlanConfig, StagePlan, SupplierPolicy
from workers.runtime import BadJobData


def require_str(variables: dict[str, Any], name: str) -> str:
    value = variables.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadJobData(f"variable {name!r} must be a non-empty string, got {value!r}")
    return value.strip()


def optional_str(variables: dict[str, Any], name: str) -> str | None:
    value = variables.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadJobData(f"variable {name!r} must be a string, got {value!r}")
    return value.strip() or None


def require_choice(variables: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = variables.get(name)
    if value not in choices:
        raise BadJobData(f"variable {name!r} must be one of {choices}, got {value!r}")
    return str(value)


def require_yes_no(variables: dict[str, Any], name: str) -> bool:
    return require_choice(variables, name, ("yes", "no")) == "yes"


def require_date(variables: dict[str, Any], name: str) -> date:
    raw = require_str(variables, name)
    try:
        return date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise BadJobData(f"variable {name!r} must be an ISO date, got {raw!r}") from exc


def plan_config(settings: Settings) -> PlanConfig:
    return PlanConfig(
        due_buffer_days=settings.production_due_buffer_days,
        due_time=settings.production_due_time,
        timezone=settings.factory_timezone,
        stages=[StagePlan(s.name, s.owner, s.days) for s in settings.production_stages],
    )


def supplier_policy(settings: Settings) -> SupplierPolicy:
    try:
        weights = {k: Decimal(v) for k, v in settings.supplier_score_weights.items()}
    except InvalidOperation as exc:
        raise BadJobData(f"supplier_score_weights must be decimals: {settings.supplier_score_weights}") from exc
    return SupplierPolicy(qualified_classes=settings.supplier_qualified_classes, weights=weights)
