"""What the collection workers share: reading the installment variable, the payee, the mailer."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from pyzeebe.errors import BusinessError

from doorflow import mail
from doorflow.settings import Settings
from models.collection.service import SETTLED_ERROR, InstallmentSettled, Payee
from workers.runtime import BadJobData, require_int

T = TypeVar("T")


def installment(variables: dict[str, Any]) -> dict[str, Any]:
    """The multi-instance element ``installment`` (as the register worker produced it)."""
    value = variables.get("installment")
    if not isinstance(value, dict):
        raise BadJobData(f"variable 'installment' must be an object, got {value!r}")
    return value


def installment_id(variables: dict[str, Any]) -> int:
    return require_int(installment(variables), "installmentId")


def installment_datetime(variables: dict[str, Any], name: str) -> datetime:
    value = installment(variables).get(name)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise BadJobData(f"installment.{name} must be an ISO date-time, got {value!r}") from exc


def payee(settings: Settings) -> Payee:
    return Payee(
        name=settings.collection_payee_name,
        bank=settings.collection_payee_bank,
        account=settings.collection_payee_account,
        phone=settings.collection_finance_phone,
    )


def mailer(settings: Settings) -> Callable[[mail.Mail], str]:
    return lambda m: mail.send(settings, m)


@contextmanager
def settled_as_bpmn_error() -> Any:
    """A fully paid installment ends its round through the diagram's INSTALLMENT_SETTLED error boundary."""
    try:
        yield
    except InstallmentSettled as exc:
        raise BusinessError(SETTLED_ERROR, f"installment {exc} is paid in full") from exc
