"""Tasklist in a real browser behind the engine's wall (issue 16): claim, fill and complete still work, and
a call outside the form made with Tasklist's own session is refused with a Chinese message.

Tasklist talks to the engine through the web app's API (/operaton/api/engine/…) with its session cookie and
CSRF token; the wall (engine/…/wall/EngineWall.java) sits in the engine, so it holds there as on /engine-rest.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser_support import TIMEOUT_MS, chinese_page, chromium, log_in
from tests.conftest import LiveEngine
from tests.test_browser_forms import PASSWORD, QUALITY_USER, acceptance_task, deployed, open_and_claim
from tests.test_task_input import completed

pytestmark = pytest.mark.engine
__all__ = ["deployed"]  # the module fixture, shared with test_browser_forms

# Runs in the page: Tasklist's own session cookie and CSRF token, as Tasklist's scripts send them.
WEBAPP_CALL = """async ([path, body]) => {
  const token = (document.cookie.match(/XSRF-TOKEN=([^;]+)/) || [])[1] || "";
  const response = await fetch("/operaton/api/engine/engine/default" + path, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "Accept": "application/json", "X-XSRF-TOKEN": token},
    body: JSON.stringify(body)});
  return [response.status, await response.text()];
}"""


def test_tasklist_claims_and_completes_but_the_wall_refuses_in_chinese(deployed: LiveEngine) -> None:
    task: dict[str, Any] = acceptance_task(deployed, "DO20990101-BW001")
    with chromium() as browser, chinese_page(browser, "browser-wall") as page:
        log_in(page, f"{deployed.cfg.url}/operaton/app/tasklist/default/", QUALITY_USER, PASSWORD)
        open_and_claim(page, deployed, task)

        forged = {"modifications": {"acceptancePassed": {"value": "yes"}}}
        status, text = page.evaluate(WEBAPP_CALL, [f"/task/{task['id']}/variables", forged])
        assert status == 403 and "不允许" in text, (status, text)
        status, text = page.evaluate(WEBAPP_CALL, [f"/task/{task['id']}/bpmnError", {"errorCode": "NOPE"}])
        assert status == 403 and "不允许" in text, (status, text)
        assert deployed.history.task_variables(task["id"]).get("acceptancePassed") is None

        page.get_by_label("合格", exact=True).check()
        page.get_by_label("客户验收代表").fill("张建国")
        complete = page.get_by_role("button", name="完成", exact=True)
        expect(complete).to_be_enabled(timeout=TIMEOUT_MS)
        complete.click()
        expect(page.locator(f'ol.tasks-list a[href*="task={task["id"]}"]')).to_have_count(0, timeout=TIMEOUT_MS)

    deployed.history.wait_for(lambda: completed(deployed, task["id"]), 30, "the completion")
    assert deployed.history.variable(task["processInstanceId"], "acceptancePassed") == "yes"
