"""Diagrams are for people: Modeler metadata, full layout, Chinese names, forms that exist."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from doorflow.settings import ROOT

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
CAMUNDA_DMN = "{http://camunda.org/schema/1.0/dmn}"
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"
PLATFORM_VERSION = "7.24"  # Operaton 1.0 is the continuation of Camunda 7.24
MODELER = "{http://camunda.org/schema/modeler/1.0}"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
DIAGRAMS = sorted((ROOT / "bpmn").rglob("*.bpmn"))
DECISIONS = sorted((ROOT / "bpmn").rglob("*.dmn"))
RESOURCES = sorted(p for p in (ROOT / "bpmn").rglob("*") if p.suffix in {".bpmn", ".dmn", ".form"})
FORMS = {json.loads(p.read_text(encoding="utf-8"))["id"]: p for p in (ROOT / "bpmn").rglob("*.form")}
FLOW_NODES = {
    "startEvent", "endEvent", "serviceTask", "userTask", "exclusiveGateway", "parallelGateway",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "callActivity",
    "subProcess", "businessRuleTask", "receiveTask", "sendTask", "eventBasedGateway", "scriptTask",
}  # fmt: skip


def test_there_are_diagrams() -> None:
    assert DIAGRAMS


@pytest.mark.parametrize("path", [*DIAGRAMS, *DECISIONS], ids=lambda p: p.name)
def test_modeler_metadata_names_the_camunda_7_platform(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.get(f"{MODELER}executionPlatform") == "Camunda Platform"
    version = root.get(f"{MODELER}executionPlatformVersion", "")
    assert version.split(".")[:2] == PLATFORM_VERSION.split(".")


@pytest.mark.parametrize("path", RESOURCES, ids=lambda p: p.name)
def test_nothing_of_camunda_8_is_left(path: Path) -> None:
    text = path.read_text(encoding="utf-8").lower()
    for word in ("zeebe", "camunda cloud", "camunda/schema/zeebe"):
        assert word not in text, f"{path.name} still mentions {word!r}"


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_every_process_has_a_history_time_to_live(path: Path) -> None:
    for process in ET.parse(path).getroot().iter(f"{BPMN}process"):
        assert process.get(f"{CAMUNDA}historyTimeToLive"), process.get("id")


@pytest.mark.parametrize("path", DECISIONS, ids=lambda p: p.name)
def test_every_decision_has_a_history_time_to_live(path: Path) -> None:
    decisions = list(ET.parse(path).getroot().iter(f"{DMN}decision"))
    assert decisions, f"{path.name}: no DMN 1.3 decision"
    for decision in decisions:
        assert decision.get(f"{CAMUNDA_DMN}historyTimeToLive"), decision.get("id")


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_every_element_is_laid_out_and_named_in_chinese(path: Path) -> None:
    root = ET.parse(path).getroot()
    shapes = {s.get("bpmnElement") for s in root.iter(f"{BPMNDI}BPMNShape")}
    edges = {e.get("bpmnElement") for e in root.iter(f"{BPMNDI}BPMNEdge")}
    for process in root.iter(f"{BPMN}process"):
        assert process.get("isExecutable") == "true"
        assert CHINESE.search(process.get("name", "")), process.get("id")
        for el in process.iter():
            tag = el.tag.removeprefix(BPMN)
            if tag in FLOW_NODES:
                assert el.get("id") in shapes, f"{el.get('id')} has no diagram shape"
                if tag not in {"parallelGateway", "exclusiveGateway", "eventBasedGateway"}:
                    assert CHINESE.search(el.get("name", "")), f"{el.get('id')} needs a Chinese name"
            if tag == "sequenceFlow":
                assert el.get("id") in edges, f"{el.get('id')} has no diagram edge"


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_user_tasks_have_a_deployed_form_and_candidate_groups(path: Path) -> None:
    for task in ET.parse(path).getroot().iter(f"{BPMN}userTask"):
        assert task.get(f"{CAMUNDA}formRef") in FORMS, f"{task.get('id')}: formRef names no form in bpmn/forms"
        assert task.get(f"{CAMUNDA}formRefBinding") == "latest", task.get("id")
        assert task.get(f"{CAMUNDA}candidateGroups"), f"{task.get('id')}: no candidate group"


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_forms_have_chinese_labels_and_required_fields(form_id: str) -> None:
    form = json.loads(FORMS[form_id].read_text(encoding="utf-8"))
    assert form["executionPlatform"] == "Camunda Platform"
    assert form["executionPlatformVersion"].split(".")[:2] == PLATFORM_VERSION.split(".")
    fields = [c for c in form["components"] if c.get("key")]
    assert fields and all(CHINESE.search(c.get("label", "")) for c in fields)
    assert any(c.get("validate", {}).get("required") for c in fields)


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_subprocess_contents_are_drawn_on_their_own_plane(path: Path) -> None:
    """A collapsed subprocess's elements belong on its drill-down plane, not on top of the main flow."""
    root = ET.parse(path).getroot()
    plane_of: dict[str | None, str | None] = {}
    expanded: set[str | None] = set()
    for plane in root.iter(f"{BPMNDI}BPMNPlane"):
        for shape in plane.iter(f"{BPMNDI}BPMNShape"):
            plane_of[shape.get("bpmnElement")] = plane.get("bpmnElement")
            if shape.get("isExpanded") == "true":
                expanded.add(shape.get("bpmnElement"))
    for sub in root.iter(f"{BPMN}subProcess"):
        if sub.get("id") in expanded:
            continue
        for child in sub:
            if child.tag.removeprefix(BPMN) in FLOW_NODES:
                assert plane_of.get(child.get("id")) == sub.get("id"), (
                    f"{child.get('id')} is drawn on {plane_of.get(child.get('id'))}, not {sub.get('id')}'s plane"
                )


def test_every_candidate_group_is_a_group_of_the_engine_identity() -> None:
    """A task for a group nobody is in would never be done: every group the diagrams or DMN name exists."""
    from doorflow.identity import group_names

    groups = set(group_names())
    named: set[str] = set()
    for path in DIAGRAMS:
        for task in ET.parse(path).getroot().iter(f"{BPMN}userTask"):
            value = task.get(f"{CAMUNDA}candidateGroups", "")
            if "${" not in value:
                named |= {g.strip() for g in value.split(",") if g.strip()}
    for path in DECISIONS:
        for entry in ET.parse(path).getroot().iter(f"{DMN}outputEntry"):
            text = (entry.findtext(f"{DMN}text") or "").strip().strip('"')
            if path.stem == "price-approval" and text not in {"", "none"}:
                named.add(text)
    assert named, "no candidate groups found"
    assert named <= groups, f"groups missing from the identity file: {sorted(named - groups)}"


INPUT_TYPES = {"textfield", "textarea", "number", "select", "radio", "checkbox", "checklist", "taglist", "datetime"}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _fields(form: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every component with a key, groups included."""
    stack = list(form.get("components", []))
    while stack:
        component = stack.pop()
        stack.extend(component.get("components", []))
        if component.get("key"):
            yield component


def _only_shown(component: dict[str, Any]) -> bool:
    return component.get("readonly") is True or component.get("disabled") is True


def _form_inputs(form: dict[str, Any]) -> set[str]:
    """Keys of the fields a person fills in (read-only and disabled fields only show values)."""
    return {c["key"] for c in _fields(form) if c.get("type") in INPUT_TYPES and not _only_shown(c)}


def _shown(form: dict[str, Any]) -> set[str]:
    """Keys of the read-only fields a form shows to the next person."""
    return {c["key"] for c in _fields(form) if _only_shown(c)}


def _read_by_the_process(path: Path) -> set[str]:
    """Variable names the diagram's expressions, its decisions, its workers and later forms read."""
    from workers.registry import TASKS

    read = {name for spec in TASKS.values() for name in spec.inputs}
    for form_path in FORMS.values():
        read |= _shown(json.loads(form_path.read_text(encoding="utf-8")))
    text = path.read_text(encoding="utf-8")
    for expression in re.findall(r"\$\{([^}]*)\}", text):
        read |= set(IDENTIFIER.findall(expression))
    for dmn in DECISIONS:
        for entry in ET.parse(dmn).getroot().iter(f"{DMN}inputExpression"):
            read |= set(IDENTIFIER.findall(entry.findtext(f"{DMN}text") or ""))
    return read


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_every_form_field_a_person_fills_in_is_read_by_the_process(path: Path) -> None:
    """A field nobody reads is work for nothing (or a renamed variable the worker no longer sees)."""
    read = _read_by_the_process(path)
    for task in ET.parse(path).getroot().iter(f"{BPMN}userTask"):
        form = json.loads(FORMS[task.get(f"{CAMUNDA}formRef", "")].read_text(encoding="utf-8"))
        unread = _form_inputs(form) - read
        assert not unread, f"{path.name}:{task.get('id')}: form fields no step reads: {sorted(unread)}"
