"""Other systems and departments, simulated through doorflow's own HTTP API.

When a process waits for a message (goods received, a payment, a delivery), these responders
answer the way the warehouse, the bank/finance system and the logistics company would: by calling
the API that real systems call. The demo and the end-to-end tests both use them; a FastAPI
``TestClient`` is an ``httpx.Client``, so the same code drives the in-process API in tests.

Each system calls as its own service user (engine/src/main/resources/doorflow-identity.json, passwords
from the environment), so the API's role matrix (config/access.toml) lets it do just its part.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import httpx

from doorflow import identity
from doorflow.staff import Responder
from doorflow.staff_answers import today
from doorflow.staff_answers.orders import TRACKING_NUMBER

# The service users the simulated systems call the API as.
WAREHOUSE = "svc-warehouse"
LOGISTICS = "svc-logistics"
FINANCE = "svc-finance"  # the finance system, reporting what the bank statement shows


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} → {response.status_code}: {response.text}"
        )
    return response.json() if response.content else None


def pay_installments(api: httpx.Client, order_id: int, kinds: Collection[str]) -> list[dict[str, Any]]:
    """Finance reports the open balance of the order's installments of these kinds as paid in full."""
    paid = []
    auth = identity.credentials(FINANCE)
    for inst in _ok(api.get(f"/orders/{order_id}/installments", auth=auth)):
        if inst["kind"] in kinds and inst["status"] not in {"paid"} and inst["balance"] not in {"0", "0.00"}:
            body = {
                "amount": str(inst["balance"]),
                "external_reference": f"BANK-{inst['order_number']}-{inst['seq']}",
                "paid_on": today().isoformat(),
            }
            paid.append(_ok(api.post(f"/installments/{inst['id']}/payments", json=body, auth=auth)))
    return paid


def factory_responders(
    api: httpx.Client, order_id: int, pay: Collection[str] = ("deposit", "progress", "final")
) -> dict[str, Responder]:
    """Warehouse, logistics and bank for one order; ``pay`` names the installment kinds the customer pays."""

    def goods_received(_: dict[str, Any]) -> None:
        # The warehouse receives every purchase order of this order that is still on its way.
        auth = identity.credentials(WAREHOUSE)
        for po in _ok(api.get(f"/orders/{order_id}/purchase-orders", auth=auth)):
            if po["status"] in ("ordered", "partially_received"):
                number = po["number"]
                rest = str(po["outstanding_quantity"])
                body = {"quantity": rest, "received_by": "仓库 李师傅", "delivery_note": f"DN-{number}"}
                _ok(api.post(f"/purchase-orders/{number}/receipt", json=body, auth=auth))

    def shipment_delivered(_: dict[str, Any]) -> None:
        body = {
            "delivered_on": today().isoformat(),
            "received_by": "工地 王师傅",
            "tracking_number": TRACKING_NUMBER,
        }
        _ok(api.post(f"/orders/{order_id}/shipment/delivered", json=body, auth=identity.credentials(LOGISTICS)))

    def payment_due(sub: dict[str, Any]) -> bool | None:
        # The waiting installment is named by its local correlation key, INST-<installment id>; the
        # round's subscription opens a moment before its first task has loaded that key.
        key = sub["variables"].get("installmentKey")
        if not key:
            return False
        installment_id = int(str(key).removeprefix("INST-"))
        inst = _ok(api.get(f"/installments/{installment_id}", auth=identity.credentials(FINANCE)))
        if inst["kind"] in pay:
            pay_installments(api, order_id, {inst["kind"]})
        return True

    return {
        "GoodsReceived": goods_received,
        "ShipmentDelivered": shipment_delivered,
        "PaymentReceived": payment_due,
    }
