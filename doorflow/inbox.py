"""A task inbox for the local engine, which has no Tasklist.

Camunda 8.6 without secondary storage cannot search user tasks, so the inbox reads the engine's
record log: open user tasks (USER_TASK records), their deployed forms (FORM records) and the
variables in scope (VARIABLE records). Completing goes through the engine's REST API, so the
engine stays the only judge of what happens next. With Camunda 8.9 (docker compose), staff use
Tasklist instead and the inbox answers that it is unavailable.
"""

from __future__ import annotations

import base64
import json
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from doorflow.camunda import CamundaRest
from doorflow.records import RecordLog
from doorflow.settings import ROOT
from models.errors import Conflict, InvalidInput, NotFound

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@dataclass
class InboxTask:
    key: int
    name: str
    element_id: str
    process_id: str
    process_instance_key: int
    element_instance_key: int
    candidate_groups: list[str]
    form_key: int
    created_at_ms: int
    state: str
    form_id: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] | None = None


@lru_cache
def element_names(root: Path = ROOT / "bpmn") -> dict[tuple[str, str], str]:
    """(process id, element id) → the element's Chinese name, from the diagrams in ``bpmn/``."""
    names: dict[tuple[str, str], str] = {}
    for path in sorted(root.rglob("*.bpmn")):
        for process in ET.parse(path).getroot().iter(f"{BPMN}process"):
            pid = process.get("id", "")
            for el in process.iter():
                if el.get("id") and el.get("name"):
                    names[(pid, el.get("id", ""))] = el.get("name", "")
    return names


class TaskInbox:
    def __init__(self, records_file: Path) -> None:
        self.records = RecordLog(records_file)
        self._lock = threading.Lock()  # API routes run in a thread pool; the log reader is not thread-safe

    def _tasks(self) -> dict[int, InboxTask]:
        names = element_names()
        tasks: dict[int, InboxTask] = {}
        for rec in self.records.events("USER_TASK"):
            v = rec["value"]
            key = rec["key"]
            if rec["intent"] == "CREATED" or key in tasks:
                tasks[key] = InboxTask(
                    key=key,
                    name=names.get((v["bpmnProcessId"], v["elementId"]), v["elementId"]),
                    element_id=v["elementId"],
                    process_id=v["bpmnProcessId"],
                    process_instance_key=v["processInstanceKey"],
                    element_instance_key=v["elementInstanceKey"],
                    candidate_groups=list(v.get("candidateGroupsList") or []),
                    form_key=v.get("formKey", -1),
                    created_at_ms=v.get("creationTimestamp", rec["timestamp"]),
                    state=rec["intent"],
                )
        return tasks

    def open_tasks(self, group: str | None = None, process_instance_key: int | None = None) -> list[InboxTask]:
        with self._lock:
            found = [
                t
                for t in self._tasks().values()
                if t.state == "CREATED"
                and (group is None or group in t.candidate_groups)
                and (process_instance_key is None or t.process_instance_key == process_instance_key)
            ]
        return sorted(found, key=lambda t: t.created_at_ms)

    def task(self, key: int) -> InboxTask:
        """One task with its form and the variables it can see (the process scope and its own)."""
        with self._lock:
            task = self._tasks().get(key)
            if task is None:
                raise NotFound("user task", key)
            forms = {r["value"]["formKey"]: r["value"] for r in self.records.events("FORM") if r["intent"] == "CREATED"}
            deployed = forms.get(task.form_key)
            if deployed is not None:
                task.form_id = deployed["formId"]
                task.form = json.loads(base64.b64decode(deployed["resource"]))
            task.variables = self._variables(task)
        return task

    def _variables(self, task: InboxTask) -> dict[str, Any]:
        # Process-level variables first, then the task's own scope (local variables win).
        process_scope: dict[str, Any] = {}
        local: dict[str, Any] = {}
        for rec in self.records.events("VARIABLE"):
            v = rec["value"]
            if v["processInstanceKey"] != task.process_instance_key:
                continue
            if v["scopeKey"] == task.process_instance_key:
                process_scope[v["name"]] = json.loads(v["value"])
            elif v["scopeKey"] == task.element_instance_key:
                local[v["name"]] = json.loads(v["value"])
        return process_scope | local

    def complete(self, camunda: CamundaRest, key: int, variables: dict[str, Any]) -> None:
        """Check the form's required fields, then let the engine complete the task."""
        task = self.task(key)
        if task.state != "CREATED":
            raise Conflict(f"user task {key} is not open (it is {task.state.lower()})")
        for component in (task.form or {}).get("components", []):
            name = component.get("key")
            if not name or not component.get("validate", {}).get("required") or component.get("readonly"):
                continue
            value = variables.get(name, task.variables.get(name))
            if value is None or (isinstance(value, str) and not value.strip()):
                raise InvalidInput(("body", "variables", name), f"{component.get('label', name)}：必填")
        camunda.complete_user_task(key, variables)
