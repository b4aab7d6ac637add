"""What the engine is doing and did, read from Operaton's runtime and history REST API.

The order timeline, the simulated staff, the demo and the tests learn open user tasks, visited
elements, instance states and incidents here, through the one engine adapter
(:class:`doorflow.operaton.OperatonClient`). History level is full, so every finished activity is there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from doorflow.operaton import EngineRejected, OperatonClient, decode

Visit = Literal["completed", "started", "canceled"]


@dataclass
class UserTask:
    id: str
    process_instance_id: str
    element_id: str
    name: str
    candidate_groups: list[str]
    form_key: str | None
    business_key: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """An active element of an instance tree: what a person would call "where the order is"."""

    element_id: str
    element_type: str
    name: str
    process_id: str
    candidate_groups: list[str]
    user_task_id: str | None


# Activity types that are containers or plumbing, not steps.
_NOT_STEPS = {"subProcess", "multiInstanceBody", "processDefinition", "eventSubProcess"}


class EngineHistory:
    def __init__(self, client: OperatonClient) -> None:
        self.client = client

    # --- user tasks --------------------------------------------------------------------------
    def _tasks(self, **params: Any) -> list[UserTask]:
        rows = self.client.get("/task", sortBy="created", sortOrder="asc", **params)
        tasks = []
        for row in rows:
            links = self.client.get(f"/task/{row['id']}/identity-links", type="candidate")
            tasks.append(
                UserTask(
                    id=row["id"],
                    process_instance_id=row["processInstanceId"],
                    element_id=row["taskDefinitionKey"],
                    name=row.get("name") or "",
                    candidate_groups=[link["groupId"] for link in links if link.get("groupId")],
                    form_key=row.get("formKey"),
                )
            )
        return tasks

    def open_user_tasks(self, process_instance_id: str | None = None) -> list[UserTask]:
        return self._tasks(processInstanceId=process_instance_id)

    def open_user_tasks_in_tree(self, root_id: str) -> list[UserTask]:
        return [task for pid in sorted(self.instance_tree(root_id)) for task in self._tasks(processInstanceId=pid)]

    def task_variables(self, task_id: str) -> dict[str, Any]:
        """The variables a task sees (its own scope and every scope above it)."""
        return decode(self.client.get(f"/task/{task_id}/variables", deserializeValues="false"))

    # --- instances ---------------------------------------------------------------------------
    def instance_tree(self, root_id: str) -> set[str]:
        """The instance and every instance its call activities started, at any depth (finished ones too)."""
        tree, frontier = {root_id}, [root_id]
        while frontier:
            children = {
                row["id"]
                for pid in frontier
                for row in self.client.get("/history/process-instance", superProcessInstanceId=pid)
            }
            frontier = sorted(children - tree)
            tree |= children
        return tree

    def child_instances(self, parent_id: str, process_id: str | None = None) -> list[str]:
        """Instances started by ``parent_id``'s call activities, oldest first."""
        rows = self.client.get(
            "/history/process-instance",
            superProcessInstanceId=parent_id,
            processDefinitionKey=process_id,
            sortBy="startTime",
            sortOrder="asc",
        )
        return [row["id"] for row in rows]

    def instance_state(self, process_instance_id: str) -> str | None:
        """ACTIVE, SUSPENDED, COMPLETED, EXTERNALLY_TERMINATED or INTERNALLY_TERMINATED (None if unknown)."""
        rows = self.client.get("/history/process-instance", processInstanceId=process_instance_id)
        return str(rows[0]["state"]) if rows else None

    def business_key(self, process_instance_id: str) -> str | None:
        rows = self.client.get("/history/process-instance", processInstanceId=process_instance_id)
        return rows[0].get("businessKey") if rows else None

    def variable(self, process_instance_id: str, name: str) -> Any:
        """A process-instance variable (history, so it is readable after the instance ended)."""
        rows = self.client.get(
            "/history/variable-instance",
            processInstanceId=process_instance_id,
            variableName=name,
            deserializeValues="false",
        )
        return decode({name: rows[0]})[name] if rows else None

    def visited(self, process_instance_id: str, element_id: str, state: Visit = "completed") -> int:
        """How often an element of the instance was entered, completed or cancelled (loops count each round)."""
        rows = self.client.get(
            "/history/activity-instance", processInstanceId=process_instance_id, activityId=element_id
        )
        if state == "started":
            return len(rows)
        if state == "canceled":
            return sum(1 for row in rows if row.get("canceled"))
        return sum(1 for row in rows if row.get("endTime") and not row.get("canceled"))

    def incidents(self, process_instance_id: str) -> list[dict[str, Any]]:
        """Every incident the instance had, open or resolved, oldest first (``open`` says which)."""
        rows = self.client.get(
            "/history/incident", processInstanceId=process_instance_id, sortBy="createTime", sortOrder="asc"
        )
        return [{**row, "open": bool(row.get("open"))} for row in rows]

    def open_incidents(self, process_instance_ids: Iterable[str]) -> list[dict[str, Any]]:
        ids = sorted(set(process_instance_ids))
        if not ids:
            return []
        # The incident query filters by one instance at a time (an unknown filter would be ignored, not refused).
        return [row for pid in ids for row in self.client.get("/incident", processInstanceId=pid)]

    def open_message_subscriptions(self, tree: Iterable[str]) -> list[dict[str, Any]]:
        """Message events of these instances that wait now: id, eventName, processInstanceId, activityId,
        executionId, and ``variables``: the local variables of the waiting execution (e.g. a local
        correlation key such as ``installmentKey``)."""
        subs: list[dict[str, Any]] = []
        for pid in sorted(set(tree)):
            for sub in self.client.get("/event-subscription", eventType="message", processInstanceId=pid):
                try:
                    local = self.client.get(
                        f"/execution/{sub['executionId']}/localVariables", deserializeValues="false"
                    )
                except EngineRejected as exc:
                    if exc.kind == "NullValueException" or exc.status == 404:
                        continue  # the wait ended between the two reads: it is no longer open
                    raise
                subs.append({**sub, "variables": decode(local)})
        return subs

    def current_steps(self, root_id: str) -> list[Step]:
        """Active elements of the instance tree (open user tasks, waiting events, running call activities)."""
        tasks = {(t.process_instance_id, t.element_id): t for t in self.open_user_tasks_in_tree(root_id)}
        steps = []
        for pid in sorted(self.instance_tree(root_id)):
            rows = self.client.get("/history/activity-instance", processInstanceId=pid, unfinished="true")
            for row in sorted(rows, key=lambda r: str(r.get("startTime"))):
                if row["activityType"] in _NOT_STEPS:
                    continue
                task = tasks.get((pid, row["activityId"]))
                steps.append(
                    Step(
                        element_id=row["activityId"],
                        element_type=row["activityType"],
                        name=row.get("activityName") or "",
                        process_id=str(row.get("processDefinitionKey") or ""),
                        candidate_groups=task.candidate_groups if task else [],
                        user_task_id=task.id if task else None,
                    )
                )
        return steps

    @staticmethod
    def wait_for(what: Callable[[], Any], timeout_s: float = 30, what_name: str = "condition") -> Any:
        """Poll until ``what()`` returns something truthy."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = what()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout_s}s waiting for {what_name}")
            time.sleep(0.2)
