"""Camunda Modeler element templates generated from the task registry.

Modeler picks up ``.camunda/element-templates/*.json`` in the project, so a process owner
gets every doorflow task type as a ready-made service task with the right type and inputs.
"""

from __future__ import annotations

from typing import Any

from doorflow.settings import CAMUNDA_VERSION, ROOT
from workers.registry import TASKS

TEMPLATES_FILE = ROOT / ".camunda" / "element-templates" / "doorflow-tasks.json"
SCHEMA = "https://unpkg.com/@camunda/zeebe-element-templates-json-schema/resources/schema.json"
TEMPLATE_VERSION = 1


def render() -> list[dict[str, Any]]:
    major_minor = ".".join(CAMUNDA_VERSION.split(".")[:2])
    templates = []
    for task_type, spec in TASKS.items():
        properties: list[dict[str, Any]] = [
            {
                "type": "Hidden",
                "value": task_type.value,
                "binding": {"type": "zeebe:taskDefinition", "property": "type"},
            },
            {
                "label": "重试次数",
                "group": "execution",
                "type": "String",
                "value": str(spec.retries),
                "binding": {"type": "zeebe:taskDefinition", "property": "retries"},
            },
        ]
        properties += [
            {
                "label": f"输入 {name}",
                "group": "inputs",
                "type": "String",
                "feel": "required",
                "value": f"={name}",
                "constraints": {"notEmpty": True},
                "binding": {"type": "zeebe:input", "name": name},
            }
            for name in spec.inputs
        ]
        outputs = "、".join(spec.outputs) or "无"
        templates.append(
            {
                "$schema": SCHEMA,
                "name": spec.name,
                "id": task_type.value,
                "description": f"{spec.description} 输出变量：{outputs}。",
                "version": TEMPLATE_VERSION,
                "category": {"id": "doorflow", "name": "doorflow"},
                "appliesTo": ["bpmn:Task"],
                "elementType": {"value": "bpmn:ServiceTask"},
                "engines": {"camunda": f"^{major_minor}"},
                "groups": [{"id": "inputs", "label": "输入"}, {"id": "execution", "label": "执行"}],
                "properties": properties,
            }
        )
    return templates
