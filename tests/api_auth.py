"""Who the fuzzer and the regression tests call the API as: one function, so the role matrix can point it elsewhere.

Until HTTP Basic authentication lands (issue 10, helper "auth") the API ignores the credentials; every
client these tests build for the API takes them from here.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from doorflow import identity


def api_credentials() -> tuple[str, str]:
    """The system user ``doorflow`` (its password from DOORFLOW_ENGINE_SYSTEM_PASSWORD, local default ``doorflow``)."""
    return identity.credentials("doorflow")


def authenticated_client(app: FastAPI, *, raise_server_exceptions: bool = True) -> TestClient:
    client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
    client.auth = api_credentials()
    return client
