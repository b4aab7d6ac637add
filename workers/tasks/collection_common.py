"""What the collection workers share: the installment's local variables, the payee, the mailer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from doorflow import mail
from doorflow.settings import Settings
from models.collection.service import SETTLED_ERROR, InstallmentSettled, Payee
from workers.runtime import BusinessError, require_int


def installment_id(variables: dict[str, Any]) -> int:
    """``installmentId``: a local variable of the installment's round, set by ``load_installment``."""
    return require_int(variables, "installmentId")


def business_key(variables: dict[str, Any]) -> str:
    return f"installment:{installment_id(variables)}"


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
def settled_as_bpmn_error() -> Iterator[None]:
    """A fully paid installment ends its round through the diagram's INSTALLMENT_SETTLED error boundary."""
    try:
        yield
    except InstallmentSettled as exc:
        raise BusinessError(SETTLED_ERROR, f"installment {exc} is paid in full") from exc
