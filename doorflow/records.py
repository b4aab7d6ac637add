"""Follow what the engine did, from the records its exporter writes as JSON lines.

The local engine has no secondary store, so this log is how doorflow (and its tests)
learn user-task keys and whether an instance completed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Record = dict[str, Any]


@dataclass
class UserTask:
    key: int
    process_instance_key: int
    element_id: str
    candidate_groups: list[str]
    form_key: int
    state: str
    variables: dict[str, Any] = field(default_factory=dict)


class RecordLog:
    """Incremental reader of the engine's record file (only whole lines are read)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self.records: list[Record] = []
        self._events: dict[str, list[Record]] = {}  # EVENT records by value type, so lookups skip the rest

    def poll(self) -> list[Record]:
        """Read records appended since the last poll."""
        if not self.path.exists():
            return []
        new: list[Record] = []
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            chunk = fh.read()
        end = chunk.rfind(b"\n") + 1
        self._offset += end
        for line in chunk[:end].splitlines():
            if line.startswith(b"{"):
                new.append(json.loads(line))
        self.records.extend(new)
        for rec in new:
            if rec["recordType"] == "EVENT":
                self._events.setdefault(rec["valueType"], []).append(rec)
        return new

    def events(self, value_type: str) -> Iterator[Record]:
        self.poll()
        return iter(list(self._events.get(value_type, ())))

    def user_tasks(self, process_instance_key: int | None = None) -> dict[int, UserTask]:
        tasks: dict[int, UserTask] = {}
        for rec in self.events("USER_TASK"):
            value = rec["value"]
            if process_instance_key is not None and value["processInstanceKey"] != process_instance_key:
                continue
            tasks[rec["key"]] = UserTask(
                key=rec["key"],
                process_instance_key=value["processInstanceKey"],
                element_id=value["elementId"],
                candidate_groups=list(value.get("candidateGroupsList") or value.get("candidateGroups") or []),
                form_key=value.get("formKey", -1),
                state=rec["intent"],
                variables=value.get("variables") or {},
            )
        return tasks

    def open_user_tasks(self, process_instance_key: int | None = None) -> list[UserTask]:
        return [t for t in self.user_tasks(process_instance_key).values() if t.state == "CREATED"]

    def instance_tree(self, root_key: int) -> set[int]:
        """The instance and every instance its call activities started, at any depth."""
        tree = {root_key}
        for rec in self.events("PROCESS_INSTANCE"):
            value = rec["value"]
            if (
                value["bpmnElementType"] == "PROCESS"
                and rec["intent"] == "ELEMENT_ACTIVATING"
                and value.get("parentProcessInstanceKey", -1) in tree
            ):
                tree.add(rec["key"])
        return tree

    def open_user_tasks_in_tree(self, root_key: int) -> list[UserTask]:
        tree = self.instance_tree(root_key)
        return [t for t in self.user_tasks().values() if t.state == "CREATED" and t.process_instance_key in tree]

    def open_message_subscriptions(self, tree: set[int]) -> list[dict[str, Any]]:
        """Message catch events of these instances that are waiting: messageName, correlationKey, …"""
        open_: dict[tuple[int, str], dict[str, Any]] = {}
        for rec in self.events("PROCESS_MESSAGE_SUBSCRIPTION"):
            value = rec["value"]
            if value["processInstanceKey"] not in tree:
                continue
            ident = (value["elementInstanceKey"], value["messageName"])
            if rec["intent"] == "CREATED":
                open_[ident] = value
            elif rec["intent"] in {"CORRELATED", "DELETED"} and not (
                rec["intent"] == "CORRELATED" and not value.get("interrupting", True)
            ):
                open_.pop(ident, None)
        return list(open_.values())

    def child_instances(self, parent_key: int, process_id: str | None = None) -> list[int]:
        """Keys of instances started by ``parent_key``'s call activities, oldest first."""
        return [
            rec["key"]
            for rec in self.events("PROCESS_INSTANCE")
            if rec["value"]["bpmnElementType"] == "PROCESS"
            and rec["intent"] == "ELEMENT_ACTIVATING"
            and rec["value"].get("parentProcessInstanceKey") == parent_key
            and (process_id is None or rec["value"]["bpmnProcessId"] == process_id)
        ]

    def visited(self, process_instance_key: int, element_id: str, intent: str = "ELEMENT_COMPLETED") -> int:
        """How many times an element of the instance reached ``intent`` (loops count every round)."""
        return sum(
            1
            for rec in self.events("PROCESS_INSTANCE")
            if rec["value"]["processInstanceKey"] == process_instance_key
            and rec["value"]["elementId"] == element_id
            and rec["intent"] == intent
        )

    def instance_state(self, process_instance_key: int) -> str | None:
        """Last lifecycle intent of the process instance itself (e.g. ELEMENT_COMPLETED)."""
        state = None
        for rec in self.events("PROCESS_INSTANCE"):
            value = rec["value"]
            if rec["key"] == process_instance_key and value["bpmnElementType"] == "PROCESS":
                state = rec["intent"]
        return state

    def incidents(self, process_instance_key: int) -> list[Record]:
        return [
            r
            for r in self.events("INCIDENT")
            if r["value"]["processInstanceKey"] == process_instance_key and r["intent"] == "CREATED"
        ]

    def wait_for(self, what: Callable[[], Any], timeout_s: float = 30, what_name: str = "condition") -> Any:
        """Poll until ``what()`` returns something truthy."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = what()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout_s}s waiting for {what_name}")
            time.sleep(0.2)
