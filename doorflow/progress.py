"""Where an order's process instance stands now, read from the engine's record log.

The local engine has no Operate/Tasklist search, so the order timeline learns the current steps
(open user tasks, waiting events, running call activities) from the exporter's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from doorflow.records import RecordLog

# Element types that are containers or transitions, not steps a person would call "where the order is".
_NOT_STEPS = {"PROCESS", "SEQUENCE_FLOW", "SUB_PROCESS", "EVENT_SUB_PROCESS", "MULTI_INSTANCE_BODY"}
_ENDED = {"ELEMENT_COMPLETED", "ELEMENT_TERMINATED"}


@dataclass(frozen=True)
class Step:
    element_id: str
    element_type: str
    process_id: str
    candidate_groups: list[str]
    user_task_key: int | None


def current_steps(records: RecordLog, root_key: int) -> list[Step]:
    """Active elements of the instance and of the instances its call activities started, oldest first."""
    tree = records.instance_tree(root_key)
    active: dict[int, dict[str, object]] = {}
    for rec in records.events("PROCESS_INSTANCE"):
        value = rec["value"]
        if value["processInstanceKey"] not in tree or value["bpmnElementType"] in _NOT_STEPS:
            continue
        if rec["intent"] == "ELEMENT_ACTIVATED":
            active[rec["key"]] = value
        elif rec["intent"] in _ENDED:
            active.pop(rec["key"], None)
    tasks = {(t.process_instance_key, t.element_id): t for t in records.open_user_tasks_in_tree(root_key)}
    steps = []
    for value in active.values():
        task = tasks.get((int(str(value["processInstanceKey"])), str(value["elementId"])))
        steps.append(
            Step(
                element_id=str(value["elementId"]),
                element_type=str(value["bpmnElementType"]),
                process_id=str(value["bpmnProcessId"]),
                candidate_groups=task.candidate_groups if task else [],
                user_task_key=task.key if task else None,
            )
        )
    return steps


def current_steps_from_file(records_file: Path, root_key: int) -> list[Step]:
    return current_steps(RecordLog(records_file), root_key)
