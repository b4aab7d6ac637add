"""How the dashboard tests reach doorflow's API: one place builds every client (HTTP Basic with an engine user).

The user comes from ``dashboard_user()``: the demo manager ``zhaomin`` (group ``managers``, which the role matrix
lets open the dashboard), with the password the engine gave that user.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from doorflow import identity


def dashboard_user() -> tuple[str, str]:
    return identity.credentials("zhaomin")


def dashboard_client(app: FastAPI) -> TestClient:
    client = TestClient(app)
    client.auth = dashboard_user()
    return client
