"""Goods receipts count: short deliveries keep the purchase order open, over-deliveries are refused.

The services against PostgreSQL, and the wait on the real engine: the purchase instance of a shortage
waits at its GoodsReceived event until the whole ordered quantity has arrived.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from doorflow.staff import SimulatedStaff
from models.errors import Conflict, InvalidInput
from models.orders.tables import Order, OrderStatus
from models.outbox import EngineMessage
from models.production import service
from models.production.schemas import ReceiptIn
from models.production.tables import (
    GoodsReceipt,
    MaterialAllocation,
    PurchaseOrder,
    PurchaseStatus,
    Supplier,
)
from models.production.tables import Material as MaterialRow
from tests.conftest import LiveEngine
from tests.days import factory_day
from tests.test_production_engine import Warehouse, run_to_end, start_production

D = Decimal


def _purchase_order(s: Session, quantity: str) -> PurchaseOrder:
    material = s.scalars(select(MaterialRow).order_by(MaterialRow.id)).first()
    assert material is not None, "the migrations seed the materials"
    supplier = s.scalars(select(Supplier).order_by(Supplier.id)).first()
    assert supplier is not None
    order = Order(
        order_number=f"DO20990401-{uuid.uuid4().hex[:8]}",
        customer_name="台州收货测试有限公司",
        delivery_address="浙江省台州市椒江区",
        requested_delivery_date=date(2099, 6, 30),
        status=OrderStatus.IN_PRODUCTION,
    )
    s.add(order)
    s.flush()
    return service._new_purchase_order(s, order.id, material, D(quantity), supplier, None, factory_day())  # noqa: SLF001


def _receive(s: Session, number: str, quantity: str, published: list[tuple[str, int]]) -> GoodsReceipt:
    data = ReceiptIn.model_validate({"quantity": quantity, "received_by": "仓库 周敏", "delivery_note": "SH-1"})
    return service.receive_goods(s, number, data, lambda n, r: published.append((n, r)), actor="test")


def test_short_deliveries_accumulate_and_only_the_last_one_wakes_the_process(
    sessions: sessionmaker[Session],
) -> None:
    published: list[tuple[str, int]] = []
    with sessions() as s, s.begin():
        po = _purchase_order(s, "10")
        _receive(s, po.number, "4", published)
        assert (po.status, po.received_quantity, po.outstanding_quantity) == (
            PurchaseStatus.PARTIALLY_RECEIVED, D("4"), D("6"),
        )  # fmt: skip
        assert published == []  # the purchase instance keeps waiting for the rest
        _receive(s, po.number, "5.5", published)
        assert published == [] and po.outstanding_quantity == D("0.5")
        last = _receive(s, po.number, "0.5", published)
        assert po.status == PurchaseStatus.RECEIVED and po.received_quantity == D("10")
        assert published == [(po.number, last.id)]
        with pytest.raises(Conflict, match="not waiting for goods"):
            _receive(s, po.number, "1", published)

        # Incoming inspection passed: what arrived is set aside for the order.
        service.accept_goods(s, po.number, actor="test")
        allocation = s.scalars(select(MaterialAllocation).where(MaterialAllocation.source == po.number)).one()
        assert allocation.quantity == D("10")
        s.rollback()


def test_an_over_delivery_is_refused_and_changes_nothing(sessions: sessionmaker[Session]) -> None:
    published: list[tuple[str, int]] = []
    with sessions() as s, s.begin():
        po = _purchase_order(s, "1")
        with pytest.raises(InvalidInput) as refused:
            _receive(s, po.number, "5", published)  # the trial: 5 against an order for 1
        assert refused.value.loc == ("body", "quantity")
        assert "exceeds the 1 still outstanding" in refused.value.message
        assert po.status == PurchaseStatus.ORDERED and po.receipts == [] and published == []

        _receive(s, po.number, "0.4", published)
        with pytest.raises(InvalidInput, match=re.escape("exceeds the 0.6 still outstanding")):
            _receive(s, po.number, "0.61", published)
        assert (po.received_quantity, po.status) == (D("0.4"), PurchaseStatus.PARTIALLY_RECEIVED)
        s.rollback()


@pytest.mark.engine
def test_the_process_waits_for_the_rest_of_a_short_delivery(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order, pid = start_production(api, live_engine, "绍兴分批到货测试有限公司")
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)

    def waiting() -> list[dict[str, Any]]:
        return [sub for sub in history.open_message_subscriptions([pid]) if sub["eventName"] == "GoodsReceived"]

    [sub] = staff.work_until(pid, waiting, timeout_s=120)
    number = sub["variables"]["purchaseOrderNumber"]
    [po] = [p for p in api.get(f"/orders/{order['id']}/purchase-orders").json() if p["number"] == number]
    ordered = D(po["quantity"])
    assert (D(po["received_quantity"]), po["status"]) == (D("0"), "ordered")

    def receipt(quantity: Decimal) -> Any:
        body = {"quantity": f"{quantity:f}", "received_by": "仓库 周敏", "delivery_note": f"SH-{number}"}
        return api.post(f"/purchase-orders/{number}/receipt", json=body)

    too_much = receipt(ordered + 4)
    assert too_much.status_code == 422, too_much.text
    assert too_much.json()["detail"][0]["loc"] == ["body", "quantity"]

    part = ordered - 1 if ordered > 1 else ordered / 2
    first = receipt(part)
    assert first.status_code == 201, first.text
    assert first.json()["purchase_order_status"] == "partially_received"
    assert D(first.json()["outstanding_quantity"]) == ordered - part

    with sessions() as s:
        queued = s.scalars(
            select(EngineMessage).where(
                EngineMessage.name == "GoodsReceived", EngineMessage.local_keys["purchaseOrderNumber"].astext == number
            )
        ).all()
        assert queued == []  # nothing wakes the purchase instance
    # The purchase instance still waits for the same order: no inspection yet.
    assert [w["variables"]["purchaseOrderNumber"] for w in waiting()] == [number]
    assert history.visited(pid, "GoodsReceived") == 0
    assert [t for t in history.open_user_tasks(pid) if t.element_id == "IncomingInspection"] == []

    rest = receipt(ordered - part)
    assert rest.status_code == 201, rest.text
    assert rest.json()["purchase_order_status"] == "received"
    history.wait_for(lambda: history.visited(pid, "GoodsReceived") == 1, 60, "the goods-received event")

    run_to_end(live_engine, pid, Warehouse(api, order["id"]), staff=staff)
    with sessions() as s:
        stored = s.scalars(select(PurchaseOrder).where(PurchaseOrder.number == number)).one()
        assert stored.status == PurchaseStatus.ACCEPTED
        assert [r.quantity for r in stored.receipts] == [part, ordered - part]
        allocated = s.scalars(select(MaterialAllocation).where(MaterialAllocation.source == number)).one()
        assert allocated.quantity == ordered
    assert history.incidents(pid) == []
