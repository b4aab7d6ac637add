"""Faults are survivable: engine down when an order arrives; no way to build the engine."""

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
from tests.conftest import LiveEngine, authed, make_settings, order_payload, verified


def test_engine_unreachable_gives_503_and_stores_nothing(
    db_url: str, sessions: sessionmaker[Session], live_engine: LiveEngine
) -> None:
    """The caller's login was verified before the engine went away: the route itself meets the missing engine."""
    dead_engine = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(Order))
    with TestClient(create_app(make_settings(db_url, dead_engine), verified(live_engine))) as client:
        response = authed(client).post("/orders", json=order_payload())
    assert response.status_code == 503
    assert "unreachable" in response.json()["detail"]
    assert response.headers["Retry-After"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == before


def test_missing_maven_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORFLOW_CACHE_DIR", str(tmp_path))  # empty cache: a build is needed
    monkeypatch.delenv("DOORFLOW_ENGINE_JAR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no mvn on PATH
    with pytest.raises(engine.EngineUnavailable) as raised:
        engine.ensure_engine_jar(progress=lambda _: None)
    assert "mvn" in str(raised.value) and "DOORFLOW_ENGINE_JAR" in str(raised.value)


def test_a_prebuilt_engine_jar_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORFLOW_ENGINE_JAR", str(tmp_path / "missing.jar"))
    with pytest.raises(engine.EngineUnavailable, match="is not a file"):
        engine.ensure_engine_jar(progress=lambda _: None)


def test_the_engine_jar_is_rebuilt_only_when_engine_sources_change(tmp_path: Path) -> None:
    source = tmp_path / "engine"
    (source / "src").mkdir(parents=True)
    (source / "pom.xml").write_text("<project/>")
    (source / "src" / "A.java").write_text("class A {}")
    first = engine.source_hash(source)
    (source / "target").mkdir()
    (source / "target" / "junk.class").write_text("ignored")
    (source / "Dockerfile").write_text("FROM scratch")
    assert engine.source_hash(source) == first, "build output and the Dockerfile must not change the hash"
    (source / "src" / "A.java").write_text("class A { int x; }")
    assert engine.source_hash(source) != first
