"""Simulated staff: complete open user tasks the way the people in each department would.

The demo command and the end-to-end tests both use it, so an order is driven through every
department's Tasklist step with realistic answers. Answers are keyed by the user task's element
id and live per domain in ``doorflow/staff_answers/``; a caller overrides them per run (a list
gives one answer per round, e.g. legal rejects once, then approves).
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable, Mapping
from typing import Any

from doorflow import staff_answers
from doorflow.history import EngineHistory, UserTask
from doorflow.operaton import OperatonClient

Answer = dict[str, Any] | Callable[[UserTask], dict[str, Any]]
# Plays another system or department when the process waits for a message: gets the waiting
# subscription (eventName, processInstanceId, activityId …) and answers through the doorflow API.
# Returns False when the wait is not ready to be answered yet (it is offered again next round).
Responder = Callable[[dict[str, Any]], bool | None]


def default_answers() -> dict[str, Answer]:
    """Every domain's happy-path answers (``doorflow/staff_answers/<domain>.py`` defines ``ANSWERS``)."""
    merged: dict[str, Answer] = {}
    for info in pkgutil.iter_modules(staff_answers.__path__):
        module = importlib.import_module(f"{staff_answers.__name__}.{info.name}")
        clash = set(merged) & set(module.ANSWERS)
        if clash:
            raise ValueError(f"user tasks answered twice: {sorted(clash)}")
        merged.update(module.ANSWERS)
    return merged


class SimulatedStaff:
    def __init__(
        self,
        engine: OperatonClient,
        history: EngineHistory,
        answers: Mapping[str, Answer] | None = None,
        responders: Mapping[str, Responder] | None = None,
    ) -> None:
        self.engine = engine
        self.history = history
        self.answers = dict(default_answers() if answers is None else answers)
        self.responders = dict(responders or {})
        self.done: list[UserTask] = []  # every task this staff completed, in order
        self._completed: set[str] = set()
        self._responded: set[tuple[str, str]] = set()

    def answer_for(self, task: UserTask, overrides: Mapping[str, Answer | list[Answer]]) -> dict[str, Any]:
        chosen = overrides.get(task.element_id)
        if isinstance(chosen, list):
            # One answer per round; the last one repeats.
            chosen = chosen.pop(0) if len(chosen) > 1 else chosen[0]
        if chosen is None:
            chosen = self.answers.get(task.element_id)
        if chosen is None:
            raise KeyError(f"no simulated answer for user task {task.element_id!r}")
        return chosen(task) if callable(chosen) else dict(chosen)

    def complete(self, task: UserTask, variables: dict[str, Any]) -> None:
        self.engine.complete_task(task.id, variables)
        self._completed.add(task.id)
        self.done.append(task)

    def _respond(self, root_id: str) -> bool:
        acted = False
        for sub in self.history.open_message_subscriptions(self.history.instance_tree(root_id)):
            ident = (sub["id"], sub["eventName"])
            responder = self.responders.get(sub["eventName"])
            if responder is None or ident in self._responded:
                continue
            if responder(sub) is False:
                continue  # not ready yet (e.g. its local correlation key is still being loaded): ask again
            self._responded.add(ident)
            acted = True
        return acted

    def step(
        self,
        root_id: str,
        overrides: Mapping[str, Answer | list[Answer]] | None = None,
        stop_at: set[str] | None = None,
    ) -> bool:
        """One round: complete the tree's open user tasks and answer its waits; True if anything was done."""
        progressed = False
        for task in self.history.open_user_tasks_in_tree(root_id):
            if task.id in self._completed or (stop_at and task.element_id in stop_at):
                continue
            self.complete(task, self.answer_for(task, overrides or {}))
            progressed = True
        if self.responders:
            progressed |= self._respond(root_id)
        return progressed

    def work_until(
        self,
        root_id: str,
        until: Callable[[], Any],
        overrides: Mapping[str, Answer | list[Answer]] | None = None,
        timeout_s: float = 60,
        stop_at: set[str] | None = None,
    ) -> Any:
        """Complete the instance tree's open tasks until ``until()`` is truthy; return its value.

        Tasks whose element id is in ``stop_at`` are left open for the caller.
        """
        overrides = dict(overrides or {})
        deadline = time.monotonic() + timeout_s
        while True:
            result = until()
            if result:
                return result
            progressed = self.step(root_id, overrides, stop_at)
            if time.monotonic() > deadline:
                open_now = [t.element_id for t in self.history.open_user_tasks_in_tree(root_id)]
                raise TimeoutError(f"timed out after {timeout_s}s; open user tasks: {open_now}")
            if not progressed:
                time.sleep(0.2)
