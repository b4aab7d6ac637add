"""A task inbox for staff when the engine has no Tasklist (the local engine): list, open, complete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from api.deps import CamundaDep
from doorflow.inbox import InboxTask, TaskInbox

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskOut(BaseModel):
    key: int = Field(description="User task key; use it to complete the task.")
    name: str = Field(description="The task's name in the diagram (Chinese).")
    element_id: str
    process_id: str
    process_instance_key: int
    candidate_groups: list[str]
    created_at_ms: int = Field(description="Creation time, epoch milliseconds (engine clock).")


class TaskDetail(TaskOut):
    form_id: str | None
    form: dict[str, Any] | None = Field(description="The deployed Camunda Form (JSON) to render.")
    variables: dict[str, Any] = Field(description="Variables the task can see.")


class Completion(BaseModel):
    variables: dict[str, Any] = Field(default_factory=dict, description="The form's values.")


def _inbox(request: Request) -> TaskInbox:
    inbox: TaskInbox | None = getattr(request.app.state, "inbox", None)
    if inbox is None:
        raise HTTPException(
            status.HTTP_501_NOT_IMPLEMENTED,
            "No local task inbox: this engine has Tasklist (or no record log is configured).",
        )
    return inbox


def _out(task: InboxTask) -> TaskOut:
    return TaskOut.model_validate(task, from_attributes=True)


@router.get("", summary="Open user tasks, oldest first, optionally for one candidate group")
def list_tasks(
    request: Request,
    group: Annotated[str | None, Query(description="Candidate group, e.g. legal")] = None,
    process_instance_key: int | None = None,
) -> list[TaskOut]:
    return [_out(t) for t in _inbox(request).open_tasks(group, process_instance_key)]


@router.get(
    "/{key}", summary="One user task with its form and variables", responses={404: {"description": "No such task."}}
)
def get_task(key: int, request: Request) -> TaskDetail:
    return TaskDetail.model_validate(_inbox(request).task(key), from_attributes=True)


@router.post(
    "/{key}/completion",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Complete a user task with the form's values",
    responses={
        404: {"description": "No such task."},
        409: {"description": "The task is no longer open."},
        422: {"description": "A required form field is missing; the detail names it."},
    },
)
def complete_task(key: int, body: Completion, request: Request, camunda: CamundaDep) -> None:
    _inbox(request).complete(camunda, key, body.variables)
