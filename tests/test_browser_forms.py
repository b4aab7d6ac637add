"""Tasklist in a real browser: a field its form hides is not required, a shown one is; task names carry the order.

The engine refuses a completion that breaks the task's form (tests/test_task_input.py, over REST); this checks
the other side, the form a person fills in Tasklist: the acceptance form's required 缺陷说明 (shown only when
the customer did not accept) must not block a passed acceptance, and must hold a failed one back until filled.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from doorflow import identity
from tests.browser_support import TIMEOUT_MS, chinese_page, chromium, log_in, screenshot
from tests.conftest import LiveEngine
from tests.test_browser import show_filter
from tests.test_task_input import CUSTOMER, completed, deploy_test_processes, start_task

pytestmark = pytest.mark.engine

QUALITY_USER = "linna"
PASSWORD = os.environ.get("DOORFLOW_DEMO_PASSWORD") or identity.PASSWORD_DEFAULTS["DOORFLOW_DEMO_PASSWORD"]


@pytest.fixture(scope="module")
def deployed(live_engine: LiveEngine, tmp_path_factory: pytest.TempPathFactory) -> LiveEngine:
    """The test processes of test_task_input (one user task for group quality showing a project form)."""
    return deploy_test_processes(live_engine, tmp_path_factory.mktemp("browser-forms"))


def acceptance_task(live: LiveEngine, business_key: str) -> dict[str, Any]:
    variables = {"formKey": "acceptance", "orderNumber": business_key, "customerName": CUSTOMER}
    return start_task(live, "test-real-form", business_key, variables)


def open_and_claim(page: Page, live: LiveEngine, task: dict[str, Any]) -> None:
    """Find the task in the group's list by its name (which carries the order number), open it, claim it."""

    def quality_tasks() -> set[str]:
        return {t.id for t in live.history.open_user_tasks() if "quality" in t.candidate_groups}

    show_filter(page, "我组的任务", task["id"], quality_tasks)
    entry = page.locator("ol.tasks-list li", has=page.locator(f'a[href*="task={task["id"]}"]'))
    expect(entry).to_contain_text(task["name"], timeout=TIMEOUT_MS)
    entry.locator(f'a[href*="task={task["id"]}"]').click()
    card = page.locator("section.task-card")
    expect(card.locator("h2.task")).to_contain_text(task["name"], timeout=TIMEOUT_MS)
    card.get_by_text("认领", exact=True).click()
    expect(card.locator("button.unclaim")).to_be_visible(timeout=TIMEOUT_MS)
    live.history.wait_for(
        lambda: live.client.get(f"/task/{task['id']}").get("assignee") == QUALITY_USER, 30, "the claim"
    )


def test_tasklist_requires_a_field_only_while_its_form_shows_it(deployed: LiveEngine) -> None:
    passed = acceptance_task(deployed, "DO20990101-BF001")
    failed = acceptance_task(deployed, "DO20990101-BF002")
    assert "DO20990101-BF001" in passed["name"] and CUSTOMER in passed["name"]
    shots: list[Path] = []

    with chromium() as browser, chinese_page(browser, "browser-forms") as page:
        log_in(page, f"{deployed.cfg.url}/operaton/app/tasklist/default/", QUALITY_USER, PASSWORD)
        complete = page.get_by_role("button", name="完成", exact=True)

        # Accepted: the defects field stays hidden and does not hold the completion back.
        open_and_claim(page, deployed, passed)
        expect(page.get_by_label("订单编号", exact=True)).to_have_value("DO20990101-BF001", timeout=TIMEOUT_MS)
        page.get_by_label("合格", exact=True).check()
        page.get_by_label("客户验收代表").fill("张建国")
        expect(page.get_by_label("缺陷说明")).to_have_count(0, timeout=TIMEOUT_MS)
        expect(complete).to_be_enabled(timeout=TIMEOUT_MS)
        shots.append(screenshot(page, "browser-forms-accepted"))
        complete.click()
        expect(page.locator(f'ol.tasks-list a[href*="task={passed["id"]}"]')).to_have_count(0, timeout=TIMEOUT_MS)

        # Not accepted: the defects field appears, and the form cannot be completed until it is filled.
        open_and_claim(page, deployed, failed)
        page.get_by_label("不合格", exact=True).check()
        page.get_by_label("客户验收代表").fill("张建国")
        defects = page.get_by_label("缺陷说明")
        expect(defects).to_be_visible(timeout=TIMEOUT_MS)
        # Shown, it is required: completing without it marks the field and leaves the task open.
        complete.click()
        defects_field = page.locator(".fjs-form-field", has=page.get_by_label("缺陷说明"))
        expect(defects_field.locator(".fjs-form-field-error")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.locator(".fjs-form-field-error")).to_have_count(1, timeout=TIMEOUT_MS)
        assert not completed(deployed, failed["id"])
        shots.append(screenshot(page, "browser-forms-defects-required"))
        assert deployed.client.get(f"/task/{failed['id']}")["id"] == failed["id"]
        defects.fill("门扇右下角划伤")
        expect(complete).to_be_enabled(timeout=TIMEOUT_MS)
        shots.append(screenshot(page, "browser-forms-not-accepted"))
        complete.click()
        expect(page.locator(f'ol.tasks-list a[href*="task={failed["id"]}"]')).to_have_count(0, timeout=TIMEOUT_MS)

    history = deployed.history
    history.wait_for(lambda: completed(deployed, passed["id"]) and completed(deployed, failed["id"]), 30, "both")
    assert history.variable(passed["processInstanceId"], "acceptancePassed") == "yes"
    assert history.variable(passed["processInstanceId"], "acceptanceDefects") is None
    assert history.variable(failed["processInstanceId"], "acceptancePassed") == "no"
    assert history.variable(failed["processInstanceId"], "acceptanceDefects") == "门扇右下角划伤"
    for shot in shots:
        assert shot.is_file(), shot
