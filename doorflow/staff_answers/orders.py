"""Simulated answers for the orders user tasks: element id → form variables."""

from __future__ import annotations

from doorflow.staff import Answer

ANSWERS: dict[str, Answer] = {
    "ConfirmOrder": {"orderConfirmed": True, "confirmComment": "客户已电话确认"},
}
