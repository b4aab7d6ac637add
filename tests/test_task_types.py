"""Diagrams and workers can never drift: task types in bpmn/ and in the registry match both ways."""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET

from doorflow.stack import deployable_resources
from workers.element_templates import TEMPLATES_FILE, render
from workers.registry import TASKS, TaskType

ZEEBE = "{http://camunda.org/schema/zeebe/1.0}"


def diagram_task_types() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in deployable_resources():
        if path.suffix != ".bpmn":
            continue
        for td in ET.parse(path).iter(f"{ZEEBE}taskDefinition"):
            found.setdefault(td.attrib["type"], []).append(path.name)
    return found


def test_every_diagram_task_type_has_a_worker() -> None:
    unknown = set(diagram_task_types()) - {t.value for t in TaskType}
    assert not unknown, f"task types in diagrams without a worker: {sorted(unknown)}"


def test_every_worker_is_used_by_a_diagram() -> None:
    unused = {t.value for t in TaskType} - set(diagram_task_types())
    assert not unused, f"registered task types no diagram uses: {sorted(unused)}"


def test_each_task_type_has_its_own_module() -> None:
    modules = [spec.module for spec in TASKS.values()]
    assert len(modules) == len(set(modules))
    assert set(TASKS) == set(TaskType)
    for task_type, spec in TASKS.items():
        module = importlib.import_module(f"workers.tasks.{spec.module}")
        assert module.TASK_TYPE is task_type
        assert callable(module.handle) and callable(module.business_key)


def test_element_templates_are_generated_from_the_registry() -> None:
    committed = json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))
    assert committed == render()
    assert {t["id"] for t in committed} == {t.value for t in TaskType}
    for template in committed:
        bound = [p for p in template["properties"] if p["binding"].get("property") == "type"]
        assert bound and bound[0]["value"] == template["id"]
