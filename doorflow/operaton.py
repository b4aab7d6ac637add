"""The one adapter to Operaton's REST API (``/engine-rest``) for the API, the stack, the demo and tests.

Only this module and the worker runtime know the engine's REST API. Variables cross it typed
explicitly (``Long`` ids, ``Date`` with an offset, decimals as strings); lists and dicts are refused,
because business data lives in PostgreSQL and a serialized variable is unreadable to everyone else.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

# Operaton's date format for Date variables: milliseconds and a numeric offset without a colon.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
OPTIMISTIC_LOCK_RETRIES = 4


class EngineUnreachable(RuntimeError):
    """The engine did not answer (down, starting, or overloaded): try again later."""


class EngineRejected(RuntimeError):
    """The engine answered and refused the request."""

    def __init__(self, status: int, detail: str, kind: str = "") -> None:
        super().__init__(f"engine refused the request ({status}{', ' + kind if kind else ''}): {detail}")
        self.status = status
        self.detail = detail
        self.kind = kind


def optimistic_lock_clash(exc: EngineRejected) -> bool:
    """Whether the engine rolled the request back because another transaction changed the same rows first.

    Repeating such a request is safe. Where the exception reaches the REST layer as it is, the answer's
    type names it; a user task's completion wraps it: HTTP 500, type ``RestException``, message
    ``Cannot complete task …: ENGINE-03005 Execution of 'UPDATE ExecutionEntity[…]' failed. Entity was
    updated by another transaction concurrently.`` (ENGINE-03005 is the engine's optimistic-locking code).
    """
    return exc.kind == "OptimisticLockingException" or (exc.status == 500 and "ENGINE-03005" in exc.detail)


def clash_pause_s(attempt: int) -> float:
    """How long to wait before repeating after a clash: longer per attempt, and spread (jitter), so that
    requests that clashed together do not all come back at the same moment and clash again."""
    return 0.2 * (attempt + 1) * random.uniform(0.5, 1.5)


def format_date(value: datetime) -> str:
    """An aware datetime as Operaton's Date string, e.g. ``2026-12-01T21:44:00.000+0800``."""
    if value.tzinfo is None:
        raise ValueError(f"a Date variable needs a time zone: {value!r}")
    return value.strftime(DATE_FORMAT)[:-3] + value.strftime("%z")


def parse_date(text: str) -> datetime:
    """Operaton's Date string (``…+0000``) as an aware datetime."""
    return datetime.fromisoformat(text)


def typed(value: Any) -> dict[str, Any]:
    """One variable in the REST form ``{"value": …, "type": …}``."""
    if value is None:
        return {"value": None, "type": "Null"}
    if isinstance(value, bool):
        return {"value": value, "type": "Boolean"}
    if isinstance(value, int):
        return {"value": value, "type": "Long"}
    if isinstance(value, float):
        return {"value": value, "type": "Double"}
    if isinstance(value, str):
        return {"value": value, "type": "String"}
    if isinstance(value, Decimal):
        return {"value": str(value), "type": "String"}
    if isinstance(value, datetime):
        return {"value": format_date(value), "type": "Date"}
    if isinstance(value, date):
        return {"value": value.isoformat(), "type": "String"}
    raise TypeError(
        f"{type(value).__name__} cannot be a process variable: carry keys, decisions and dates; "
        "business data belongs in PostgreSQL"
    )


def encode(variables: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {name: typed(value) for name, value in (variables or {}).items()}


def decode_value(raw: Mapping[str, Any]) -> Any:
    """A REST variable as a plain Python value: Date as an ISO string with ``+00:00`` style offset."""
    kind = raw.get("type")
    value = raw.get("value")
    if value is None:
        return None
    if kind == "Date" and isinstance(value, str):
        return parse_date(value).isoformat(timespec="milliseconds")
    if kind == "Json" and isinstance(value, str):
        return json.loads(value)
    return value


def decode(variables: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    return {name: decode_value(raw) for name, raw in (variables or {}).items()}


@dataclass(frozen=True)
class EngineUser:
    """An engine user as the engine knows them: id, names and the ids of their groups."""

    id: str
    first_name: str
    last_name: str
    groups: frozenset[str]


class OperatonClient:
    """Synchronous REST client; one per process, safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        username: str = "",
        password: str = "",
        timeout_s: float = 10.0,
    ) -> None:
        """``base_url`` is the engine's root (``http://127.0.0.1:8080``); REST lives under ``/engine-rest``."""
        self.base_url = base_url.rstrip("/")
        auth = httpx.BasicAuth(username, password) if username else None
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, auth=auth)

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One REST call; ``path`` is relative to ``/engine-rest`` unless it starts with ``/doorflow``."""
        url = path if path.startswith("/doorflow") else "/engine-rest" + path
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise EngineUnreachable(f"the engine at {self.base_url} is unreachable: {exc}") from exc
        if response.status_code in (502, 503, 504):
            raise EngineUnreachable(f"the engine is unavailable ({response.status_code}): {response.text[:300]}")
        if response.status_code >= 400:
            kind, detail = "", response.text
            try:
                body = response.json()
                kind, detail = str(body.get("type") or ""), str(body.get("message") or response.text)
            except ValueError:
                pass
            raise EngineRejected(response.status_code, detail[:1000], kind)
        return response.json() if response.content else None

    def version(self, timeout_s: float | None = None) -> str:
        """The engine's version: a cheap call that proves the engine answers (``/health``)."""
        kwargs: dict[str, Any] = {} if timeout_s is None else {"timeout": timeout_s}
        return str(self.call("GET", "/version", **kwargs)["version"])

    # --- deployment -------------------------------------------------------------------------
    def deploy(self, paths: Iterable[Path], name: str = "doorflow") -> dict[str, Any]:
        """Deploy BPMN, DMN and forms in one deployment; unchanged resources are not redeployed."""
        files = [(p.name, (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
        data = {"deployment-name": name, "enable-duplicate-filtering": "true", "deploy-changed-only": "true"}
        # Parsing every diagram, table and form takes a while on a busy machine: a longer timeout than queries.
        result: dict[str, Any] = self.call("POST", "/deployment/create", data=data, files=files, timeout=120)
        return result

    # --- process instances, tasks, messages -------------------------------------------------
    def start_process(self, key: str, business_key: str | None, variables: Mapping[str, Any] | None = None) -> str:
        """Start the latest version of process ``key``; returns the instance id."""
        body: dict[str, Any] = {"variables": encode(variables)}
        if business_key is not None:
            body["businessKey"] = business_key
        return str(self.call("POST", f"/process-definition/key/{key}/start", json=body)["id"])

    def complete_task(self, task_id: str, variables: Mapping[str, Any] | None = None) -> None:
        """Complete a user task; a clash with a concurrent step of the same instance is retried."""
        body = {"variables": encode(variables)}
        for attempt in range(OPTIMISTIC_LOCK_RETRIES):
            try:
                self.call("POST", f"/task/{task_id}/complete", json=body)
                return
            except EngineRejected as exc:
                # The engine rolled the completion back (another transaction changed the execution
                # first, e.g. a worker finishing the parallel branch): doing it again is safe.
                if not optimistic_lock_clash(exc) or attempt == OPTIMISTIC_LOCK_RETRIES - 1:
                    raise
                time.sleep(clash_pause_s(attempt))

    def correlate(
        self,
        message: str,
        business_key: str | None = None,
        local_keys: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> bool:
        """Deliver a message to the one waiting execution; False when nobody waits for it (nothing is buffered)."""
        body: dict[str, Any] = {"messageName": message, "processVariables": encode(variables)}
        if business_key is not None:
            body["businessKey"] = business_key
        if local_keys:
            body["localCorrelationKeys"] = encode(local_keys)
        try:
            self.call("POST", "/message", json=body)
        except EngineRejected as exc:
            # Operaton answers 400 when no execution waits for the message (nothing is buffered).
            if exc.status == 400 and "No process definition or execution matches" in exc.detail:
                return False
            raise
        return True

    # --- hold and resume: suspension of an instance tree -------------------------------------
    def running_tree(self, root_id: str) -> list[str]:
        """The running instance and every running instance its call activities started, at any depth."""
        tree: list[str] = []
        frontier = [root_id] if self.call("GET", "/process-instance", params={"processInstanceIds": root_id}) else []
        while frontier:
            tree.extend(frontier)
            frontier = [
                str(row["id"])
                for pid in frontier
                for row in self.call("GET", "/process-instance", params={"superProcessInstance": pid})
            ]
        return tree

    def suspended_ids(self, process_instance_ids: Iterable[str]) -> set[str]:
        """Which of these running instances are suspended now."""
        ids = ",".join(sorted(set(process_instance_ids)))
        if not ids:
            return set()
        rows = self.call("GET", "/process-instance", params={"processInstanceIds": ids, "suspended": "true"})
        return {str(row["id"]) for row in rows}

    def set_suspended(self, process_instance_ids: Iterable[str], suspended: bool) -> None:
        """Suspend (or activate) the instances in one engine transaction: their tasks, external tasks
        and jobs (timers included) stop being handed out until they are activated again; Cockpit shows
        them as suspended. Suspending a suspended instance (or activating an active one) changes nothing."""
        ids = sorted(set(process_instance_ids))
        if not ids:
            return
        body = {"processInstanceIds": ids, "suspended": suspended}
        for attempt in range(OPTIMISTIC_LOCK_RETRIES):
            try:
                self.call("PUT", "/process-instance/suspended", json=body)
                return
            except EngineRejected as exc:
                # A step of one of the instances committed first (e.g. a worker completing its task): again.
                if not optimistic_lock_clash(exc) or attempt == OPTIMISTIC_LOCK_RETRIES - 1:
                    raise
                time.sleep(clash_pause_s(attempt))

    def set_jobs_suspended(self, process_key: str, suspended: bool) -> None:
        """Suspend (or activate) the jobs of every version of a process definition, its timer start
        event's included: a suspended timer does not fire until it is activated again."""
        body = {"processDefinitionKey": process_key, "suspended": suspended, "includeJobs": True}
        self.call("PUT", "/job-definition/suspended", json=body)

    def suspend_process_instance(self, process_instance_id: str) -> list[str]:
        """Suspend the instance and its running call-activity children; returns their ids."""
        return self._set_tree_suspended(process_instance_id, True)

    def activate_process_instance(self, process_instance_id: str) -> list[str]:
        """Activate the instance and its running call-activity children again; returns their ids."""
        return self._set_tree_suspended(process_instance_id, False)

    def _set_tree_suspended(self, root_id: str, suspended: bool) -> list[str]:
        # A step that was running when the tree was read may start a child before the suspension
        # commits: read the tree again until every instance in it is in the wanted state.
        for _ in range(5):
            tree = self.running_tree(root_id)
            off = set(tree) - self.suspended_ids(tree) if suspended else self.suspended_ids(tree)
            if not off:
                return tree
            self.set_suspended(off, suspended)
        raise EngineRejected(409, f"the instance tree of {root_id} kept changing while it was being suspended")

    def evaluate_decision(self, key: str, variables: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Evaluate the latest version of a DMN decision; one dict of outputs per matched rule."""
        rows = self.call("POST", f"/decision-definition/key/{key}/evaluate", json={"variables": encode(variables)})
        return [decode(row) for row in rows]

    def get(self, path: str, **params: Any) -> Any:
        """A read-only query (``/task``, ``/history/...``); used by :mod:`doorflow.history`."""
        return self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    # --- identity: who an API caller is -------------------------------------------------------
    def verify_user(self, user_id: str, password: str) -> EngineUser | None:
        """Check a user's password with the engine (``POST /identity/verify``); their name and groups if right.

        The engine counts wrong passwords: after one, the account is locked for a few seconds (longer
        after each further one) and, after its maximum of attempts, until an administrator unlocks it;
        a locked account is refused here even with the right password.
        """
        try:
            verdict = self.call("POST", "/identity/verify", json={"username": user_id, "password": password})
        except EngineRejected as exc:
            if exc.status in (400, 404):  # e.g. a user id the engine cannot even look up
                return None
            raise
        if not verdict or not verdict.get("authenticated"):
            return None
        uid = str(verdict.get("authenticatedUser") or user_id)
        profile = self.call("GET", f"/user/{quote(uid, safe='')}/profile")
        groups = self.call("GET", "/group", params={"member": uid, "maxResults": 1000})
        return EngineUser(
            id=uid,
            first_name=str(profile.get("firstName") or ""),
            last_name=str(profile.get("lastName") or ""),
            groups=frozenset(str(g["id"]) for g in groups),
        )

    # --- timer jobs -----------------------------------------------------------------------------
    def timer_jobs(self, process_instance_id: str, activity_id: str) -> list[dict[str, Any]]:
        """The pending timer jobs of one element in one instance (its due date in ``dueDate``)."""
        jobs: list[dict[str, Any]] = self.call(
            "GET",
            "/job",
            params={"processInstanceId": process_instance_id, "activityId": activity_id, "timers": "true"},
        )
        return jobs

    def execute_job(self, job_id: str) -> None:
        """Run a job now, whatever its due date (the timer fires as if its moment had come)."""
        self.call("POST", f"/job/{quote(job_id, safe='')}/execute")

    # --- the engine clock (test engines only) -----------------------------------------------
    def pin_clock(self, epoch_ms: int) -> None:
        """Move the engine's clock to ``epoch_ms`` (it keeps running from there); due timers fire."""
        self.call("PUT", "/doorflow/clock", json={"epochMillis": epoch_ms})

    def reset_clock(self) -> None:
        self.call("DELETE", "/doorflow/clock")
