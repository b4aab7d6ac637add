"""Camunda Modeler element templates (Camunda 7 mode) generated from the task registry.

Modeler picks up ``.camunda/element-templates/*.json`` in the project, so a process owner gets
every doorflow topic as a ready-made external service task: the topic is fixed, the variables the
worker reads and writes are documented.
"""

from __future__ import annotations

from typing import Any

from doorflow.settings import ROOT
from workers.registry import TASKS

TEMPLATES_FILE = ROOT / ".camunda" / "element-templates" / "doorflow-tasks.json"
SCHEMA = "https://unpkg.com/@camunda/element-templates-json-schema/resources/schema.json"
TEMPLATE_VERSION = 2


def render() -> list[dict[str, Any]]:
    templates = []
    for task_type, spec in TASKS.items():
        properties: list[dict[str, Any]] = [
            {"type": "Hidden", "value": "external", "binding": {"type": "property", "name": "camunda:type"}},
            {"type": "Hidden", "value": task_type.value, "binding": {"type": "property", "name": "camunda:topic"}},
        ]
        inputs = "、".join(spec.inputs) or "无"
        outputs = "、".join(spec.outputs) or "无"
        templates.append(
            {
                "$schema": SCHEMA,
                "name": spec.name,
                "id": task_type.value,
                "description": f"{spec.description} 读取变量：{inputs}。输出变量：{outputs}。",
                "version": TEMPLATE_VERSION,
                "category": {"id": "doorflow", "name": "doorflow"},
                "appliesTo": ["bpmn:ServiceTask"],
                "properties": properties,
            }
        )
    return templates
