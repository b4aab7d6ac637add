"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven through Playwright.

``./dev test`` installs the Debian packages ``chromium`` and ``fonts-wqy-microhei`` (without a CJK font
the Chinese web apps render as empty boxes in screenshots); the ``playwright`` Python package comes with
the dev extra. Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, HttpCredentials, Page, ViewportSize, expect, sync_playwright

from doorflow.settings import ROOT

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 60_000  # the machine may be busy: every wait on the UI gets this long
VIEWPORT: ViewportSize = {"width": 1600, "height": 1000}
MIN_SCREENSHOT_BYTES = 20_000  # a blank or error page compresses far below this


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `./dev test` (installs it) or `apt-get install chromium`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chinese_page(browser: Browser, name: str, http_credentials: HttpCredentials | None = None) -> Iterator[Page]:
    """A fresh page whose browser speaks zh-CN (Accept-Language and navigator.language) in China's time zone,
    optionally answering HTTP Basic challenges with ``http_credentials``.

    If the block fails, the page is saved as ``test-artifacts/<name>-failure.png`` for the post-mortem.
    """
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=VIEWPORT, http_credentials=http_credentials
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"), full_page=True)
        except Exception as exc:  # the page may be gone; the original error matters
            print(f"could not save the failure screenshot: {exc}")
        raise
    finally:
        context.close()


def log_in(page: Page, app_url: str, user: str, password: str) -> None:
    """Log in on an Operaton web app's login page, checking that it speaks Chinese."""
    page.goto(app_url)
    username = page.locator("input[ng-model=username]")
    username.wait_for()
    expect(username).to_have_attribute("placeholder", "用户名", timeout=TIMEOUT_MS)
    expect(page.locator("input[ng-model=password]")).to_have_attribute("placeholder", "密码", timeout=TIMEOUT_MS)
    sign_in = page.locator("button[type=submit]")
    expect(sign_in).to_have_text("登录", timeout=TIMEOUT_MS)
    username.fill(user)
    page.locator("input[ng-model=password]").fill(password)
    sign_in.click()
    expect(username).to_have_count(0, timeout=TIMEOUT_MS)


def zoom_diagram_to(page: Page, element_id: str, min_width_px: float = 80) -> None:
    """Zoom the BPMN diagram (bpmn-js: Ctrl + wheel) around one element until it is readable."""
    shape = page.locator(f'g.djs-element[data-element-id="{element_id}"]')
    shape.wait_for()
    for _ in range(40):
        box = shape.bounding_box()
        if box is None:
            # Cockpit redraws the diagram when it stores the new view in the URL: wait for the new shape.
            shape.wait_for(state="visible", timeout=TIMEOUT_MS)
            box = shape.bounding_box()
        assert box is not None, f"{element_id} is not rendered"
        if box["width"] >= min_width_px:
            return
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -100)
        page.keyboard.up("Control")
        # bpmn-js zooms in steps; wait for this one to be applied before measuring again
        page.wait_for_function(
            "([sel, w]) => document.querySelector(sel).getBoundingClientRect().width > w",
            arg=[f'g.djs-element[data-element-id="{element_id}"]', box["width"]],
            timeout=TIMEOUT_MS,
        )
    raise AssertionError(f"could not zoom the diagram to {element_id}")


def screenshot(page: Page, name: str) -> Path:
    """Save the page as ``test-artifacts/<name>.png`` and check it is a real, non-trivial PNG."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"]), f"{path}: {width}x{height}"
    assert len(data) > MIN_SCREENSHOT_BYTES, f"{path} is only {len(data)} bytes"
    return path


def starting_with(text: str) -> re.Pattern[str]:
    """A locator text pattern for an element whose text begins with ``text`` (e.g. a label before a counter)."""
    return re.compile(rf"^\s*{re.escape(text)}")
