"""Diagrams and workers can never drift: topics in bpmn/ and in the registry match both ways."""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET

from doorflow.stack import deployable_resources
from workers.element_templates import TEMPLATES_FILE, render
from workers.registry import TASKS, TaskType

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def diagram_topics() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in deployable_resources():
        if path.suffix != ".bpmn":
            continue
        for el in ET.parse(path).iter():
            if el.get(f"{CAMUNDA}type") == "external":
                found.setdefault(el.get(f"{CAMUNDA}topic", ""), []).append(path.name)
    return found


def test_every_service_task_is_an_external_task_with_a_topic() -> None:
    for path in deployable_resources():
        if path.suffix != ".bpmn":
            continue
        for task in ET.parse(path).iter(f"{BPMN}serviceTask"):
            assert task.get(f"{CAMUNDA}type") == "external", f"{path.name}:{task.get('id')} is not an external task"
            assert task.get(f"{CAMUNDA}topic"), f"{path.name}:{task.get('id')} has no topic"


def test_every_diagram_topic_has_a_worker() -> None:
    unknown = set(diagram_topics()) - {t.value for t in TaskType}
    assert not unknown, f"topics in diagrams without a worker: {sorted(unknown)}"


def test_every_worker_is_used_by_a_diagram() -> None:
    unused = {t.value for t in TaskType} - set(diagram_topics())
    assert not unused, f"registered topics no diagram uses: {sorted(unused)}"


def test_each_topic_has_its_own_module() -> None:
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
        bound = {p["binding"]["name"]: p["value"] for p in template["properties"]}
        assert bound == {"camunda:type": "external", "camunda:topic": template["id"]}
