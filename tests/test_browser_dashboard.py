"""The dashboard in a real browser on demo data: every chart rendered with its series, one drill-down followed.

Demo data comes from the demo's own driver on the real engine (a few of its scenarios, to stay quick); the page
is served by uvicorn on a free port and opened in headless Chromium (tests/browser_support.py) with HTTP Basic
credentials. Screenshots: test-artifacts/dashboard.png (and the drill-down list).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import HttpCredentials, expect

from api.dashboard.panels import PANELS
from api.main import create_app
from doorflow import demo, stack
from tests.browser_support import TIMEOUT_MS, chinese_page, chromium, screenshot
from tests.conftest import LiveEngine, make_settings
from tests.dashboard_support import dashboard_client, dashboard_user

pytestmark = pytest.mark.engine

SCENARIOS = [demo.ORDER_SCENARIOS[i] for i in (0, 3, 5, 6)]  # review, legal, deposit awaited, in production


@pytest.fixture
def served(db_url: str, live_engine: LiveEngine) -> Iterator[str]:
    """The API (with the dashboard) under uvicorn on a free port."""
    port = stack.free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(make_settings(db_url, live_engine.cfg.url)), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def test_dashboard_charts_on_demo_data(served: str, db_url: str, live_engine: LiveEngine, workers: stack.Child) -> None:
    said: list[str] = []
    with dashboard_client(create_app(make_settings(db_url, live_engine.cfg.url))) as api:
        driver = demo.Demo(api, live_engine.client, live_engine.history, said.append)
        orders = driver.orders(SCENARIOS)
        assert [where for _, where in orders] == ["reached"] * len(SCENARIOS), said
        tickets = driver.tickets([order for order, _ in orders])
        assert [where for _, where in tickets] == ["reached"] * len(demo.TICKETS), said
        panels = {p["key"]: p for p in api.get("/dashboard/api/panels").json()}

    user, password = dashboard_user()
    credentials: HttpCredentials = {"username": user, "password": password}
    with chromium() as browser, chinese_page(browser, "dashboard", credentials) as page:
        page.goto(f"{served}/dashboard?period=all")
        expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=TIMEOUT_MS)
        for panel in PANELS:
            option = page.evaluate(
                'key => echarts.getInstanceByDom(document.querySelector(`[data-chart="${key}"]`)).getOption()',
                panel.key,
            )
            titles = {c.key: c.title for c in panel.columns}
            assert [s["name"] for s in option["series"]] == [titles[s.column] for s in panel.series], panel.key
            rows = panels[panel.key]["rows"]
            for series in option["series"]:
                assert len(series["data"]) == len(rows), (panel.key, series["name"])
        assert panels["order-rates"]["rows"][0]["whole"] >= len(SCENARIOS)
        assert sum(r["tickets"] for r in panels["aftersales-types"]["rows"]) >= len(demo.TICKETS)
        screenshot(page, "dashboard")

        expected = panels["aftersales-types"]["rows"][0]
        page.locator("#panel-aftersales-types details.table summary").click()
        page.locator("#panel-aftersales-types .table-body a").first.click()
        page.wait_for_url("**/dashboard/list/tickets**")
        expect(page.locator("#row-count")).to_have_text(str(expected["tickets"]), timeout=TIMEOUT_MS)
        expect(page.locator("#drill-table tbody tr")).to_have_count(expected["tickets"], timeout=TIMEOUT_MS)
        screenshot(page, "dashboard-drilldown")
