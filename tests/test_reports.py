"""The order KPI report counts exactly what is stored (one salesperson's orders, so other tests do not count)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.db import unit_of_work
from models.fulfilment.tables import Acceptance, Shipment
from models.orders.schemas import OrderIn
from models.orders.service import OrderLimits, create_order
from models.orders.tables import OrderStatus
from models.production.tables import (
    CraftDocument,
    DelayCause,
    Inspection,
    InspectionKind,
    ProductionDelay,
    ProductionPlan,
)
from models.reports.service import order_kpis
from tests.conftest import order_payload
from tests.days import factory_day

LIMITS = OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500)


def test_order_kpis_from_stored_facts(sessions: sessionmaker[Session], api: TestClient) -> None:
    seller = f"测试销售-{uuid.uuid4().hex[:6]}"
    promised = factory_day() + timedelta(days=60)
    with unit_of_work(sessions) as s:
        orders = [
            create_order(
                s,
                OrderIn.model_validate(
                    order_payload(
                        customer_name=f"报表客户{i}", salesperson=seller, requested_delivery_date=str(promised)
                    )
                ),
                lambda _variables: f"no-engine-{uuid.uuid4()}",  # a report test: no process runs
                limits=LIMITS,
                actor="test",
                today=factory_day(),
            )
            for i in range(4)
        ]
        on_time, late, rejected, open_ = orders
        on_time.status = OrderStatus.COMPLETED
        late.status = OrderStatus.ACCEPTED
        rejected.status = OrderStatus.REJECTED
        s.add(
            Shipment(
                order_id=on_time.id, carrier="顺丰", tracking_number="A1", shipped_on=promised, delivered_on=promised
            )
        )
        s.add(
            Shipment(
                order_id=late.id,
                carrier="顺丰",
                tracking_number="A2",
                shipped_on=promised,
                delivered_on=promised + timedelta(days=3),
            )
        )
        # Final inspection: passed at once for one order, failed first (then passed) for the other.
        s.add(Inspection(order_id=on_time.id, kind=InspectionKind.FINAL, round=1, passed=True))
        s.add(Inspection(order_id=late.id, kind=InspectionKind.FINAL, round=1, passed=False, cause="漆面流挂"))
        s.add(Inspection(order_id=late.id, kind=InspectionKind.FINAL, round=2, passed=True))
        # Acceptance: first time for one, after rework for the other.
        s.add(Acceptance(order_id=on_time.id, round=1, passed=True))
        s.add(Acceptance(order_id=late.id, round=1, passed=False, defects="门缝过大"))
        s.add(Acceptance(order_id=late.id, round=2, passed=True))
        craft = s.scalars(select(CraftDocument)).first()
        assert craft is not None
        plan = ProductionPlan(order_id=late.id, version=1, craft_document_id=craft.id, due_date=promised)
        s.add(plan)
        s.flush()
        s.add(
            ProductionDelay(
                order_id=late.id,
                plan_id=plan.id,
                cause=DelayCause.INTERNAL,
                cause_detail="设备故障",
                remedy="加班",
                old_due_date=promised,
                new_due_date=promised + timedelta(days=5),
                responsibility="生产部",
                customer_informed=True,
            )
        )
        assert open_.status == OrderStatus.RECEIVED

    with sessions() as s:
        kpis = order_kpis(s, start=None, end=None, salesperson=seller)
    assert (kpis.orders, kpis.completed, kpis.rejected) == (4, 1, 1)
    assert kpis.completion_rate == Decimal("0.2500")
    assert (kpis.delivered, kpis.on_time_delivery_rate) == (2, Decimal("0.5000"))
    assert (kpis.delays, kpis.total_delay_days) == (1, 5)
    assert kpis.first_pass_inspection_rate == Decimal("0.5000")
    assert kpis.installation_first_pass_acceptance_rate == Decimal("0.5000")
    assert [(p.salesperson, p.orders, p.completed) for p in kpis.by_salesperson] == [(seller, 4, 1)]
    assert [(m.orders, m.completed) for m in kpis.by_month] == [(4, 1)]

    response = api.get("/reports/orders", params={"salesperson": seller})
    assert response.status_code == 200
    assert response.json()["on_time_delivery_rate"] == "0.5000"
    tomorrow = factory_day() + timedelta(days=1)
    empty = api.get("/reports/orders", params={"salesperson": seller, "start": str(tomorrow)}).json()
    assert empty["orders"] == 0 and empty["completion_rate"] is None
    bad = api.get("/reports/orders", params={"start": str(tomorrow), "end": str(factory_day())})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "start"]
