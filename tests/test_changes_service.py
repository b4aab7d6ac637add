"""Change-request services against PostgreSQL: applying is repeatable, the rules refuse what makes no sense."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings
from models.audit import AuditEntry
from models.changes import service
from models.changes.schemas import ChangeRequestIn
from models.changes.tables import ChangeRequest, ChangeStatus, OrderRevision, QualityImpact
from models.collection.service import WakeUps
from models.contracts.service import terms_from_settings
from models.errors import Conflict, InvalidInput
from models.orders.service import OrderLimits
from models.orders.tables import DoorLine, DoorType, Handing, Order, OrderStatus
from tests.days import factory_day

LIMITS = OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500)
MONEY: dict[str, Any] = {
    "terms": terms_from_settings(Settings()),
    "wake": WakeUps.from_settings(Settings()),
}


@pytest.fixture
def order_id(sessions: sessionmaker[Session]) -> int:
    with sessions() as s, s.begin():
        seq = s.execute(select(func.count()).select_from(Order)).scalar_one()
        order = Order(
            order_number=f"DO20990101-S{seq:04d}",
            customer_name="温州瓯江置业",
            delivery_address="浙江省温州市鹿城区",
            requested_delivery_date=date(2099, 6, 30),
            status=OrderStatus.REGISTERED,
            lines=[
                DoorLine(
                    line_no=1,
                    door_type=DoorType.FIRE,
                    width_mm=900,
                    height_mm=2100,
                    handing=Handing.LEFT_INSWING,
                    quantity=4,
                    unit_price=Decimal("3100.00"),
                )
            ],
        )
        s.add(order)
        s.flush()
        return order.id


def _request(s: Session, order_id: int, **body: Any) -> ChangeRequest:
    published: list[tuple[str, dict[str, Any], str]] = []
    data = ChangeRequestIn.model_validate({"description": "改为右内开，单价调整", "requested_by": "客户", **body})
    change = service.request_change(
        s, order_id, data, lambda *args: published.append(args), limits=LIMITS, actor="test", today=factory_day()
    )
    assert published == [
        (change.change_number.rsplit("-C", 1)[0], {"changeRequestId": change.id}, f"change-request-{change.id}")
    ]
    return change


def test_applying_a_change_twice_changes_the_order_once(sessions: sessionmaker[Session], order_id: int) -> None:
    with sessions() as s, s.begin():
        change = _request(
            s, order_id, line_changes=[{"line_no": 1, "handing": "right_inswing", "unit_price": "3300.00"}]
        )
        service.record_assessment(
            s, change.id, schedule_days=0, quality=QualityImpact.NONE, cost_delta=Decimal("0.00"),
            note=None, major=False, reason="影响在阈值以内", actor="test",
        )  # fmt: skip
        change_id = change.id

    for _ in range(2):  # a re-delivered job
        with sessions() as s, s.begin():
            result = service.apply_change(
                s, change_id, customer_approved=None, customer_note=None, **MONEY, actor="test"
            )
            assert result == {"changeRevision": 2}

    with sessions() as s:
        order = s.get(Order, order_id)
        assert order is not None
        assert order.lines[0].handing is Handing.RIGHT_INSWING and order.lines[0].unit_price == Decimal("3300.00")
        assert order.notes is not None and order.notes.count("改为右内开") == 1
        assert s.scalar(select(func.count()).where(OrderRevision.order_id == order_id)) == 2
        changed = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.changed", AuditEntry.entity_id == str(order_id))
        ).all()
        assert len(changed) == 1
        assert changed[0].before is not None and changed[0].before["total_amount"] == "12400.00"
        assert changed[0].after is not None and changed[0].after["total_amount"] == "13200.00"
        with pytest.raises(Conflict):
            service.reject_change(s, change_id, customer_approved=False, customer_note=None, actor="test")


def test_major_change_is_not_applied_without_the_customer(sessions: sessionmaker[Session], order_id: int) -> None:
    with sessions() as s, s.begin():
        change = _request(s, order_id, new_delivery_date="2099-09-01")
        service.record_assessment(
            s, change.id, schedule_days=30, quality=QualityImpact.NONE, cost_delta=Decimal("0.00"),
            note=None, major=True, reason="工期影响达到 7 天", actor="test",
        )  # fmt: skip
        with pytest.raises(Conflict):
            service.apply_change(s, change.id, customer_approved=None, customer_note=None, **MONEY, actor="test")
        assert change.status == ChangeStatus.ASSESSED


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"line_changes": [{"line_no": 1, "quantity": 2}, {"line_no": 1, "finish": "白"}]},
         ("body", "line_changes", 1, "line_no")),
        ({"line_changes": [{"line_no": 1, "quantity": 501}]}, ("body", "line_changes", 0, "quantity")),
        ({"line_changes": [{"line_no": 1, "width_mm": 3001}]}, ("body", "line_changes", 0, "width_mm")),
    ],
)  # fmt: skip
def test_rules_that_need_the_order_name_the_field(
    sessions: sessionmaker[Session], order_id: int, body: dict[str, Any], loc: tuple[Any, ...]
) -> None:
    with sessions() as s, s.begin():
        with pytest.raises(InvalidInput) as refused:
            _request(s, order_id, **body)
        assert refused.value.loc == loc
        assert s.scalar(select(func.count()).where(ChangeRequest.order_id == order_id)) == 0
