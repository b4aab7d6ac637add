"""Payment terms from the configured ratios: amounts add up to the contract total to the cent."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from doorflow.settings import Settings
from models.contracts.service import payment_terms, terms_from_settings
from models.errors import InvalidInput

# 30 % / 60 % / 10 %: the final installment takes what rounding leaves, so the three add up to the cent.
RATIOS = {
    "payment_deposit_ratio": Decimal("0.3"),
    "payment_progress_ratio": Decimal("0.6"),
    "payment_final_ratio": Decimal("0.1"),
}


@pytest.mark.parametrize(
    ("total", "amounts"),
    [
        ("68685.36", ["20605.61", "41211.22", "6868.53"]),
        ("0.01", ["0.00", "0.01", "0.00"]),
        ("100.00", ["30.00", "60.00", "10.00"]),
        ("99999.99", ["30000.00", "59999.99", "10000.00"]),
    ],
)
def test_installments_add_up_to_the_total(total: str, amounts: list[str]) -> None:
    terms = payment_terms(Decimal(total), terms_from_settings(Settings(_env_file=None).model_copy(update=RATIOS)))
    assert [t["kind"] for t in terms] == ["deposit", "progress", "final"]
    assert [t["amount"] for t in terms] == amounts
    assert sum(Decimal(t["amount"]) for t in terms) == Decimal(total)


def test_ratios_come_from_settings() -> None:
    settings = Settings(
        _env_file=None,
        payment_deposit_ratio=Decimal("0.5"),
        payment_progress_ratio=Decimal("0.3"),
        payment_final_ratio=Decimal("0.2"),
        payment_deposit_due_days=10,
    )
    terms = payment_terms(Decimal("1000.00"), terms_from_settings(settings))
    assert [t["amount"] for t in terms] == ["500.00", "300.00", "200.00"]
    assert "合同签订后 10 日内" in terms[0]["due"]


def test_ratios_that_do_not_add_up_are_refused() -> None:
    terms = replace(terms_from_settings(Settings(_env_file=None).model_copy(update=RATIOS)), final_ratio=Decimal("0.2"))
    with pytest.raises(InvalidInput, match="add up to 1"):
        payment_terms(Decimal("1000.00"), terms)
