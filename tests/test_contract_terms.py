"""Payment terms from the configured ratios: amounts add up to the contract total to the cent."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from doorflow.settings import Settings
from models.contracts.service import payment_terms, terms_from_settings
from models.errors import InvalidInput


@pytest.mark.parametrize("total", ["68685.36", "0.01", "100.00", "99999.99"])
def test_installments_add_up_to_the_total(total: str) -> None:
    terms = payment_terms(Decimal(total), terms_from_settings(Settings()))
    assert [t["kind"] for t in terms] == ["deposit", "progress", "final"]
    assert sum(Decimal(t["amount"]) for t in terms) == Decimal(total)
    assert all(Decimal(t["amount"]) >= 0 for t in terms)


def test_ratios_come_from_settings() -> None:
    settings = Settings(
        payment_deposit_ratio=Decimal("0.5"), payment_progress_ratio=Decimal("0.3"), payment_final_ratio=Decimal("0.2")
    )
    terms = payment_terms(Decimal("1000.00"), terms_from_settings(settings))
    assert [t["amount"] for t in terms] == ["500.00", "300.00", "200.00"]
    assert "合同签订后 7 日内" in terms[0]["due"]


def test_ratios_that_do_not_add_up_are_refused() -> None:
    terms = replace(terms_from_settings(Settings()), final_ratio=Decimal("0.2"))
    with pytest.raises(InvalidInput, match="add up to 1"):
        payment_terms(Decimal("1000.00"), terms)
