"""How the dashboard tests reach doorflow's API: one place builds every client (HTTP Basic with an engine user).

The user comes from ``dashboard_user()``: the system user ``doorflow`` (password DOORFLOW_ENGINE_SYSTEM_PASSWORD,
default "doorflow") until the API's role matrix names the managers' groups; then point it at e.g. ``zhaomin``.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.testclient import TestClient


def dashboard_user() -> tuple[str, str]:
    return "doorflow", os.environ.get("DOORFLOW_ENGINE_SYSTEM_PASSWORD", "doorflow")


def dashboard_client(app: FastAPI) -> TestClient:
    client = TestClient(app)
    client.auth = dashboard_user()
    return client
