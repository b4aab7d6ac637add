"""A period a person picks is in factory days: the report filters count an instant on the factory's day.

An order received at 03:30 in the factory (19:30 UTC the evening before) belongs to the factory's day,
in the order KPIs and their lists, the cost report and the risk report alike (PostgreSQL, no engine).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import Settings
from models.costs import service as costs
from models.db import unit_of_work
from models.orders.tables import DoorLine, DoorType, Handing, Order, OrderStatus
from models.reports import service as reports
from models.risks import service as risks
from models.risks.tables import Risk, RiskCategory, RiskLevel, RiskSource

POLICY = costs.policy_from_settings(Settings(_env_file=None))
EARLY = datetime(2031, 3, 10, 19, 30, tzinfo=UTC)  # 2031-03-11 03:30 in Asia/Shanghai
FACTORY_DAY, UTC_DAY = date(2031, 3, 11), date(2031, 3, 10)


def test_an_instant_counts_on_the_factory_s_day_in_every_period_filter(sessions: sessionmaker[Session]) -> None:
    seller = f"日界销售-{uuid.uuid4().hex[:6]}"
    with unit_of_work(sessions) as s:
        order = Order(
            order_number=f"DO20310311-{uuid.uuid4().hex[:6]}", customer_name="日界客户", delivery_address="上海市",
            requested_delivery_date=date(2031, 6, 1), status=OrderStatus.RECEIVED, salesperson=seller,
            created_at=EARLY,
            lines=[DoorLine(line_no=1, door_type=DoorType.FIRE, width_mm=900, height_mm=2100,
                            handing=Handing.LEFT_INSWING, quantity=1, unit_price=Decimal("1000.00"))],
        )  # fmt: skip
        s.add(order)
        s.flush()
        costs.create_budget(s, order.id, "contract:test v1", actor="test", policy=POLICY)
        s.add(Risk(order_id=order.id, category=RiskCategory.MARKET, level=RiskLevel.LOW, title="日界风险",
                   owner_group="sales", source=RiskSource.STAFF, raised_by="test", raised_at=EARLY))  # fmt: skip
        order_id = order.id
    with sessions() as s:
        for day, expected in ((FACTORY_DAY, [order_id]), (UTC_DAY, [])):
            listed = reports.order_rows(s, "orders", start=day, end=day, salesperson=seller)
            assert [o.id for o in listed] == expected, day
            costed = costs.report(s, start=day, end=day, salesperson=seller)
            assert [r.order_id for r in costed.rows] == expected, day
            raised = risks.report_rows(s, start=day, end=day, salesperson=seller)
            assert [r.order_id for r in raised] == expected, day
