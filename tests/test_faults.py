"""Faults are survivable: engine down when an order arrives; no way to fetch the engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow import engine
from doorflow.stack import free_port
from models.orders.tables import Order
from tests.conftest import make_settings, order_payload


def test_engine_unreachable_gives_503_and_stores_nothing(db_url: str, sessions: sessionmaker[Session]) -> None:
    dead_engine = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(Order))
    with TestClient(create_app(make_settings(db_url, dead_engine))) as client:
        response = client.post("/orders", json=order_payload())
    assert response.status_code == 503
    assert "unreachable" in response.json()["detail"]
    assert response.headers["Retry-After"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == before


def test_missing_maven_says_how_to_point_at_a_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORFLOW_CACHE_DIR", str(tmp_path))  # empty cache: a fetch is needed
    monkeypatch.delenv("CAMUNDA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no mvn on PATH
    with pytest.raises(engine.EngineUnavailable) as raised:
        engine.ensure_distribution("8.6.0", progress=lambda _: None)
    assert "mvn" in str(raised.value) and "CAMUNDA_HOME" in str(raised.value)


def test_camunda_home_must_be_a_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMUNDA_HOME", str(tmp_path))
    with pytest.raises(engine.EngineUnavailable, match="not an unpacked Camunda distribution"):
        engine.ensure_distribution("8.6.0", progress=lambda _: None)
