"""A small client for the Orchestration Cluster REST API (``/v2``) used by the API, the stack and tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx


class EngineUnreachable(RuntimeError):
    """The engine did not answer (down, starting, or overloaded): try again later."""


class EngineRejected(RuntimeError):
    """The engine answered and refused the request."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"engine refused the request ({status}): {detail}")
        self.status = status
        self.detail = detail


class CamundaRest:
    """Synchronous REST client; one instance per process, safe to share between threads."""

    def __init__(self, base_url: str, timeout_s: float = 10.0, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/v2", timeout=timeout_s, headers=headers)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise EngineUnreachable(f"the engine at {self._http.base_url} is unreachable: {exc}") from exc
        if response.status_code in (502, 503, 504):
            raise EngineUnreachable(f"the engine is unavailable ({response.status_code}): {response.text[:300]}")
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail") or response.text
            except ValueError:
                detail = response.text
            raise EngineRejected(response.status_code, str(detail)[:1000])
        return response.json() if response.content else None

    def topology(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/topology")
        return result

    def deploy(self, paths: Iterable[Path]) -> dict[str, Any]:
        """Deploy BPMN, DMN and form files in one deployment (all or nothing)."""
        files = [("resources", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
        result: dict[str, Any] = self._call("POST", "/deployments", files=files)
        return result

    def create_process_instance(self, process_id: str, variables: dict[str, Any]) -> int:
        body = {"processDefinitionId": process_id, "variables": variables}
        return int(self._call("POST", "/process-instances", json=body)["processInstanceKey"])

    def complete_user_task(self, user_task_key: int, variables: dict[str, Any] | None = None) -> None:
        self._call("POST", f"/user-tasks/{user_task_key}/completion", json={"variables": variables or {}})

    def publish_message(
        self,
        name: str,
        correlation_key: str,
        variables: dict[str, Any] | None = None,
        ttl_ms: int = 0,
        message_id: str | None = None,
    ) -> None:
        """Publish a message; with ``message_id`` the engine refuses a second one with the same id while the
        first is buffered (409), which :meth:`publish_message_once` treats as already done."""
        body: dict[str, Any] = {
            "name": name,
            "correlationKey": correlation_key,
            "variables": variables or {},
            "timeToLive": ttl_ms,
        }
        if message_id is not None:
            body["messageId"] = message_id
        self._call("POST", "/messages/publication", json=body)

    def publish_message_once(
        self, name: str, correlation_key: str, message_id: str, variables: dict[str, Any] | None = None, ttl_ms: int = 0
    ) -> bool:
        """Publish unless a message with this id is still buffered; returns False for such a duplicate."""
        try:
            self.publish_message(name, correlation_key, variables, ttl_ms, message_id=message_id)
        except EngineRejected as exc:
            if exc.status == 409:
                return False
            raise
        return True

    def pin_clock(self, epoch_ms: int) -> None:
        """Move the engine clock (``PUT /v2/clock``); timers due before it fire."""
        self._call("PUT", "/clock", json={"timestamp": epoch_ms})

    def reset_clock(self) -> None:
        self._call("POST", "/clock/reset")
