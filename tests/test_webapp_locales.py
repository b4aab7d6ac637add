"""Tasklist, Cockpit, Admin and Welcome speak Chinese: every label of the pinned web apps is translated."""

from __future__ import annotations

import subprocess
import sys

from doorflow.settings import ROOT
from tests.conftest import LiveEngine


def test_every_web_app_label_has_a_chinese_translation(live_engine: LiveEngine) -> None:
    # live_engine: the engine was built, so Maven has the pinned web-app jar whose labels are checked.
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "webapp_locales.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
