"""Diagrams are for people: Modeler metadata, full layout, Chinese names, forms that exist."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from doorflow.settings import CAMUNDA_VERSION, ROOT

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
ZEEBE = "{http://camunda.org/schema/zeebe/1.0}"
MODELER = "{http://camunda.org/schema/modeler/1.0}"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
DIAGRAMS = sorted((ROOT / "bpmn").rglob("*.bpmn"))
FORMS = {json.loads(p.read_text(encoding="utf-8"))["id"]: p for p in (ROOT / "bpmn").rglob("*.form")}
FLOW_NODES = {
    "startEvent", "endEvent", "serviceTask", "userTask", "exclusiveGateway", "parallelGateway",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "callActivity",
    "subProcess", "businessRuleTask", "receiveTask", "sendTask", "eventBasedGateway", "scriptTask",
}  # fmt: skip


def test_there_are_diagrams() -> None:
    assert DIAGRAMS


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_modeler_metadata_names_the_pinned_platform(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.get(f"{MODELER}executionPlatform") == "Camunda Cloud"
    version = root.get(f"{MODELER}executionPlatformVersion", "")
    assert version.split(".")[:2] == CAMUNDA_VERSION.split(".")[:2]


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
def test_user_tasks_are_camunda_user_tasks_with_forms_and_groups(path: Path) -> None:
    for task in ET.parse(path).getroot().iter(f"{BPMN}userTask"):
        ext = task.find(f"{BPMN}extensionElements")
        assert ext is not None and ext.find(f"{ZEEBE}userTask") is not None, task.get("id")
        form = ext.find(f"{ZEEBE}formDefinition")
        assert form is not None and form.get("formId") in FORMS, f"{task.get('id')}: form missing"
        assignment = ext.find(f"{ZEEBE}assignmentDefinition")
        assert assignment is not None and assignment.get("candidateGroups"), f"{task.get('id')}: no candidate group"


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_forms_have_chinese_labels_and_required_fields(form_id: str) -> None:
    form = json.loads(FORMS[form_id].read_text(encoding="utf-8"))
    assert form["executionPlatform"] == "Camunda Cloud"
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
