"""The demo command's scenarios really reach their stages on the real engine (what Tasklist and Cockpit then show)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from doorflow import demo, stack
from tests.conftest import LiveEngine

pytestmark = pytest.mark.engine


def test_demo_leaves_orders_and_tickets_at_every_stage(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child
) -> None:
    said: list[str] = []
    driver = demo.Demo(api, live_engine.client, live_engine.history, said.append)

    orders = driver.orders(demo.ORDER_SCENARIOS)
    assert [where for _, where in orders] == ["reached"] * len(demo.ORDER_SCENARIOS), said
    for (order, _), scenario in zip(orders, demo.ORDER_SCENARIOS, strict=True):
        assert demo.active(live_engine.history, order["process_instance_id"], scenario.stage), scenario.label
        tree = live_engine.history.instance_tree(order["process_instance_id"])
        assert live_engine.history.open_incidents(tree) == [], scenario.label

    driver.change_request(orders[6][0])
    tickets = driver.tickets([order for order, _ in orders])
    assert [where for _, where in tickets] == ["reached"] * len(demo.TICKETS), said
    assert len(said) == len(demo.ORDER_SCENARIOS) + 1 + len(demo.TICKETS)
