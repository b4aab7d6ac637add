"""A real browser on the web apps: sales signs the contract in Tasklist, a manager follows the order in Cockpit.

Headless Chromium (Debian's /usr/bin/chromium through Playwright, see ``tests/browser_support.py``) with a
zh-CN browser: the apps must speak Chinese, the sales user must see only the sales group's tasks, and the
embedded Camunda Form (form-js) must be filled and completed the way a person does it. Screenshots go to
``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from doorflow import identity, stack
from doorflow.demo import active
from doorflow.history import EngineHistory, UserTask
from doorflow.staff import SimulatedStaff
from tests.browser_support import (
    TIMEOUT_MS,
    VIEWPORT,
    chinese_page,
    chromium,
    log_in,
    screenshot,
    starting_with,
    zoom_diagram_to,
)
from tests.conftest import LiveEngine, order_payload

pytestmark = pytest.mark.engine

# The first user task of door-order for candidate group "sales" on the happy path (after legal approval).
SALES_TASK = "RecordCustomerSignature"
NEXT_STEP = "RecordSignature"  # the service task right after it (the worker records the signature)
HANDOVER = ("ConfirmHandoverProject", "ConfirmHandoverCustomerService", "ConfirmHandoverFinance")
SALES_USER = "wanglei"
MANAGER = "zhaomin"
PASSWORD = os.environ.get("DOORFLOW_DEMO_PASSWORD") or identity.PASSWORD_DEFAULTS["DOORFLOW_DEMO_PASSWORD"]
SIGNED_BY = "张建国（客户法定代表人）"


def declared_groups(user: str) -> list[str]:
    groups: list[str] = next(u["groups"] for u in identity.users() if u["id"] == user)
    return groups


def listed_task_ids(page: Page) -> set[str]:
    hrefs: list[str] = page.locator("ol.tasks-list li.task h4.task a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return {href.split("task=", 1)[1] for href in hrefs if "task=" in href}


def move_pointer_away(page: Page) -> None:
    """Leave the hovered element so that its tooltip (which covers its neighbours) closes."""
    page.mouse.move(VIEWPORT["width"] - 10, VIEWPORT["height"] - 10)
    expect(page.locator(".tooltip.in")).to_have_count(0, timeout=TIMEOUT_MS)


def show_filter(page: Page, name: str, must_list: str, expected: Callable[[], set[str]]) -> tuple[set[str], set[str]]:
    """Pick a Tasklist filter; wait until its list shows ``must_list`` and its counter matches the engine.

    Returns the listed task ids and the engine's ``expected()`` ids at that moment.
    """
    move_pointer_away(page)
    page.locator(".task-filter", has=page.locator("h4.name a", has_text=starting_with(name))).click()
    expect(page.locator(".task-filter.active h4.name a")).to_have_text(starting_with(name), timeout=TIMEOUT_MS)
    counter = page.locator(".task-filter.active .counter")

    def settled() -> tuple[set[str], set[str]] | None:
        ids = listed_task_ids(page)
        if must_list not in ids:
            return None
        engine_ids = expected()  # asked again each round: other orders may open tasks meanwhile
        return (ids, engine_ids) if counter.inner_text().strip() == str(len(engine_ids)) else None

    found: tuple[set[str], set[str]] = EngineHistory.wait_for(settled, TIMEOUT_MS / 1000, f"the filter {name}")
    return found


def drive_to_the_sales_task(api: TestClient, live_engine: LiveEngine) -> tuple[dict[str, Any], UserTask]:
    history = live_engine.history
    order: dict[str, Any] = api.post("/orders", json=order_payload()).json()
    pid = order["process_instance_id"]
    staff = SimulatedStaff(live_engine.client, history)
    staff.work_until(pid, lambda: active(history, pid, SALES_TASK), timeout_s=180, stop_at={SALES_TASK})
    assert not [t.element_id for t in staff.done if "sales" in t.candidate_groups], "an earlier sales task"
    [task] = [t for t in history.open_user_tasks(pid) if t.element_id == SALES_TASK]
    assert task.candidate_groups == ["sales"]
    return order, task


def sign_in_tasklist(
    page: Page,
    live_engine: LiveEngine,
    order: dict[str, Any],
    task: UserTask,
    not_for_sales: set[str],
) -> tuple[Path, date]:
    """As the sales user: check the lists, open the task, fill and complete its form; return (screenshot, signedOn)."""
    log_in(page, f"{live_engine.cfg.url}/operaton/app/tasklist/default/", SALES_USER, PASSWORD)

    # Every filter, even "all tasks" (whatever the user may read), lists the sales group's tasks only.
    def sales_tasks() -> set[str]:
        return {t.id for t in live_engine.history.open_user_tasks() if "sales" in t.candidate_groups}

    for name in ("全部任务", "我组的任务"):
        listed, sales_ids = show_filter(page, name, task.id, sales_tasks)
        assert listed <= sales_ids, f"{name} lists tasks of other groups: {listed - sales_ids}"
        assert not listed & not_for_sales

    page.locator(f'ol.tasks-list a[href*="task={task.id}"]').click()
    card = page.locator("section.task-card")
    expect(card.locator("h2.task")).to_have_text(starting_with(task.name), timeout=TIMEOUT_MS)
    expect(card.locator(".nav-tabs li.active a")).to_have_text("表单", timeout=TIMEOUT_MS)
    expect(card.locator("li.groups")).to_contain_text("销售部", timeout=TIMEOUT_MS)
    # The embedded Camunda Form shows the order read-only; the two signature fields are required.
    expect(page.get_by_label("订单编号", exact=True)).to_have_value(order["order_number"], timeout=TIMEOUT_MS)
    expect(page.get_by_label("客户", exact=True)).to_have_value(order["customer_name"], timeout=TIMEOUT_MS)
    complete = page.get_by_role("button", name="完成", exact=True)
    expect(complete).to_be_disabled(timeout=TIMEOUT_MS)

    # Like a person: claim the task, pick today in the date picker, type the signatory, complete.
    card.get_by_text("认领", exact=True).click()
    expect(card.locator("button.unclaim")).to_be_visible(timeout=TIMEOUT_MS)
    live_engine.history.wait_for(
        lambda: live_engine.client.get(f"/task/{task.id}").get("assignee") == SALES_USER, 30, "the claim"
    )
    signed_on = page.get_by_label("签署日期")
    signed_on.click()
    page.locator(".flatpickr-calendar.open .flatpickr-day.today").click()
    expect(signed_on).not_to_have_value("", timeout=TIMEOUT_MS)
    year, month, day = (int(part) for part in signed_on.input_value().split("/"))  # shown as yyyy/m/d
    signed_by = page.get_by_label("客户签署人")
    signed_by.fill(SIGNED_BY)
    expect(signed_by).to_have_value(SIGNED_BY, timeout=TIMEOUT_MS)
    expect(complete).to_be_enabled(timeout=TIMEOUT_MS)
    shot = screenshot(page, "browser-tasklist-sales-task-form")

    complete.click()
    # Tasklist drops the completed task from the list.
    expect(page.locator(f'ol.tasks-list a[href*="task={task.id}"]')).to_have_count(0, timeout=TIMEOUT_MS)
    return shot, date(year, month, day)


def follow_in_cockpit(page: Page, live_engine: LiveEngine, order: dict[str, Any]) -> list[Path]:
    """As the manager: the door-order process with the order's instance, then the instance and its tokens."""
    pid = order["process_instance_id"]
    log_in(page, f"{live_engine.cfg.url}/operaton/app/cockpit/default/", MANAGER, PASSWORD)
    expect(page.get_by_text("正在运行的流程实例")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("link", name="流程", exact=True).click()
    page.get_by_role("link", name="门单订单流程").click()
    instance_link = page.locator(f'a[title="{pid}"]')  # its href gains the diagram's viewbox once drawn
    expect(instance_link).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("tr", has=instance_link)).to_contain_text(order["order_number"], timeout=TIMEOUT_MS)
    process_shot = screenshot(page, "browser-cockpit-door-order-process")

    instance_link.click()
    page.wait_for_url(re.compile(f"process-instance/{pid}/runtime"))
    expect(page.get_by_text(order["order_number"]).first).to_be_visible(timeout=TIMEOUT_MS)
    badges = [page.locator(f'.djs-overlays[data-container-id="{s}"] .badge.instance-count') for s in HANDOVER]
    for badge in badges:  # where the order is now: Cockpit's token badges on the diagram
        expect(badge).to_have_text("1", timeout=TIMEOUT_MS)
    drawn_at = page.url
    zoom_diagram_to(page, "GenerateHandover")
    # Cockpit hides the badges while zooming and then records the new viewbox in the URL.
    page.wait_for_url(lambda url: url != drawn_at)
    for badge in badges:
        expect(badge).to_be_visible(timeout=TIMEOUT_MS)
    return [process_shot, screenshot(page, "browser-cockpit-door-order-instance")]


def test_sales_signs_in_tasklist_and_the_manager_follows_the_order_in_cockpit(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child
) -> None:
    assert declared_groups(SALES_USER) == ["sales"] and "managers" in declared_groups(MANAGER)
    history = live_engine.history
    # Another order waits in review: its production / purchasing / installation tasks are not for sales.
    other_pid = api.post("/orders", json=order_payload(customer_name="宁波东方商业广场")).json()["process_instance_id"]
    reviews: list[UserTask] = history.wait_for(
        lambda: (tasks := history.open_user_tasks(other_pid)) and len(tasks) == 3 and tasks, 60, "the other reviews"
    )
    assert sorted(g for t in reviews for g in t.candidate_groups) == ["installation", "production", "purchasing"]
    order, task = drive_to_the_sales_task(api, live_engine)
    pid = order["process_instance_id"]

    with chromium() as browser:
        with chinese_page(browser, "browser-tasklist") as page:
            form_shot, signed_on = sign_in_tasklist(page, live_engine, order, task, {t.id for t in reviews})

        # The engine: the task was completed by the sales user with the form's values, and the order moved on.
        history.wait_for(lambda: history.visited(pid, SALES_TASK) == 1, 60, f"{SALES_TASK} completed")
        [done] = live_engine.client.get("/history/task", taskId=task.id)
        assert done["assignee"] == SALES_USER and done["deleteReason"] == "completed"
        assert history.variable(pid, "signedOn") == signed_on.isoformat()
        assert history.variable(pid, "signedBy") == SIGNED_BY
        assert history.visited(pid, NEXT_STEP, "started") >= 1
        history.wait_for(lambda: all(active(history, pid, s) for s in HANDOVER), 60, "the handover confirmations")
        assert history.visited(pid, SALES_TASK, "started") == 1
        assert history.open_incidents(history.instance_tree(pid)) == []
        assert api.get(f"/orders/{order['id']}").json()["status"] in ("signed", "handed_over")

        with chinese_page(browser, "browser-cockpit") as page:
            cockpit_shots = follow_in_cockpit(page, live_engine, order)

    for shot in (form_shot, *cockpit_shots):
        assert shot.is_file() and shot.stat().st_size > 20_000, shot
