"""The [X] settings that drive timers and rules are read by the engine when it uses them, never process variables.

Issue 16 item 1: a task holder wrote ``followUpDelay = P9999D`` and ``depositReminderAfter = PT2S`` through
``/task/{id}/variables`` and the timers obeyed. Now the diagrams call ``${doorflowSettings.duration(…)}``
(engine/…/config/DoorflowSettings.java), which reads the engine's settings file (written from DOORFLOW_*
at each start, read again when it changes); no worker sets such a variable, so there is none to overwrite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from doorflow.engine import ENGINE_SETTINGS, engine_settings, write_settings_file
from doorflow.operaton import parse_date
from doorflow.settings import ROOT, Settings
from tests.conftest import LiveEngine
from workers.registry import TASKS

PROBE = ROOT / "tests" / "resources" / "settings-probe-test.bpmn"
JAVA = ROOT / "engine" / "src" / "main" / "java" / "com" / "doorflow" / "engine" / "config" / "DoorflowSettings.java"
APPLICATION_YAML = ROOT / "engine" / "src" / "main" / "resources" / "application.yaml"
# The variables that used to carry settings into the processes (and that a task holder could overwrite).
SETTINGS_VARIABLES = ("followUpDelay", "depositReminderAfter", "dueCheckInterval", "minLeadTimeDays")
CALL = re.compile(r"doorflowSettings\.(duration|integer)\('([a-z_]+)'\)")


def _diagrams() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "bpmn").rglob("*.bpmn"))}


def test_no_diagram_reads_a_setting_from_a_variable() -> None:
    for name, text in _diagrams().items():
        for variable in SETTINGS_VARIABLES:
            uses = re.findall(r"\$\{[^}]*\b" + variable + r"\b[^}]*\}", text)
            assert uses == [], f"{name} reads {variable} from a variable: {uses}"
    called = {setting for text in _diagrams().values() for _, setting in CALL.findall(text)}
    assert called == set(ENGINE_SETTINGS)


def test_no_worker_hands_a_setting_to_a_process() -> None:
    for task_type, spec in TASKS.items():
        assert not set(spec.outputs) & set(SETTINGS_VARIABLES), task_type


def test_the_engine_and_the_python_side_know_the_same_settings_and_defaults() -> None:
    java = JAVA.read_text(encoding="utf-8")
    known = dict(re.findall(r'"([a-z_]+)", Kind\.([A-Z]+)', java))
    assert set(known) == set(ENGINE_SETTINGS)
    defaults = Settings(_env_file=None)
    assert set(ENGINE_SETTINGS) <= set(Settings.model_fields)
    engine_defaults = yaml.safe_load(APPLICATION_YAML.read_text(encoding="utf-8"))["doorflow"]
    for name in ENGINE_SETTINGS:
        assert str(engine_defaults[name.replace("_", "-")]) == str(getattr(defaults, name)), name
        assert known[name] == ("INTEGER" if isinstance(getattr(defaults, name), int) else "DURATION"), name


@pytest.fixture(scope="module")
def probe(live_engine: LiveEngine) -> str:
    live_engine.client.deploy([PROBE], name="doorflow-tests-settings")
    return "settings-probe-test"


@pytest.fixture
def settings_file(live_engine: LiveEngine) -> Iterator[dict[str, str]]:
    """The live engine's settings file, put back as it was afterwards."""
    path = live_engine.cfg.settings_file
    original = path.read_bytes()
    values = engine_settings(Settings(_env_file=None))
    try:
        yield values
    finally:
        path.write_bytes(original)


def _timer_due_in(live_engine: LiveEngine, pid: str) -> timedelta:
    [job] = live_engine.client.get("/job", processInstanceId=pid, timers="true")
    now = datetime.fromtimestamp(live_engine.client.get("/doorflow/clock")["epochMillis"] / 1000, UTC)
    return parse_date(job["dueDate"]) - now


@pytest.mark.engine
def test_a_settings_change_applies_to_the_next_timer_without_any_variable(
    live_engine: LiveEngine, probe: str, settings_file: dict[str, str]
) -> None:
    path = live_engine.cfg.settings_file
    write_settings_file(path, {**settings_file, "follow_up_delay": "P5D"})
    first = live_engine.client.start_process(probe, None)
    assert timedelta(days=5) - timedelta(minutes=1) < _timer_due_in(live_engine, first) <= timedelta(days=5)

    write_settings_file(path, {**settings_file, "follow_up_delay": "PT2H"})
    second = live_engine.client.start_process(probe, None)
    assert timedelta(hours=2) - timedelta(minutes=1) < _timer_due_in(live_engine, second) <= timedelta(hours=2)
    # The timer made before the change keeps its due date; neither instance has a variable to overwrite.
    assert _timer_due_in(live_engine, first) > timedelta(days=4)
    for pid in (first, second):
        assert live_engine.client.get(f"/process-instance/{pid}/variables") == {}

    # A malformed setting never becomes a timer: the start fails and nothing is left behind.
    write_settings_file(path, {**settings_file, "follow_up_delay": "soon"})
    before = live_engine.client.get("/process-instance/count", processDefinitionKey=probe)["count"]
    with pytest.raises(Exception, match="follow_up_delay"):
        live_engine.client.start_process(probe, None)
    assert live_engine.client.get("/process-instance/count", processDefinitionKey=probe)["count"] == before
    for pid in (first, second):
        live_engine.client.call("DELETE", f"/process-instance/{pid}")
