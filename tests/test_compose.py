"""docker-compose.yml cannot start here (no Docker engine); check it agrees with the pins instead."""

from __future__ import annotations

from typing import Any

import yaml

from doorflow.settings import CAMUNDA_VERSION, ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]


def test_services_are_the_whole_stack() -> None:
    assert set(SERVICES) == {"postgres", "camunda", "deploy", "workers", "api"}


def test_camunda_image_is_the_pinned_version_with_postgres_secondary_storage() -> None:
    camunda = SERVICES["camunda"]
    assert camunda["image"] == f"camunda/camunda:{CAMUNDA_VERSION}"
    env = camunda["environment"]
    assert env["CAMUNDA_DATA_SECONDARYSTORAGE_TYPE"] == "rdbms"
    assert env["CAMUNDA_DATA_SECONDARYSTORAGE_RDBMS_URL"].startswith("jdbc:postgresql://postgres:5432/")
    assert not any("ELASTICSEARCH" in key for key in env)
    assert {"8080:8080", "26500:26500", "9600:9600"} <= set(camunda["ports"])
    assert camunda["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_doorflow_services_are_built_and_point_at_the_engine_and_database() -> None:
    for name in ("deploy", "workers", "api"):
        service = SERVICES[name]
        assert service["build"] == "."
        env = service["environment"]
        assert env["ZEEBE_ADDRESS"] == "camunda:26500"
        assert env["CAMUNDA_REST_ADDRESS"] == "http://camunda:8080"
        assert env["DATABASE_URL"].endswith("@postgres:5432/doorflow")
    assert SERVICES["deploy"]["depends_on"]["camunda"]["condition"] == "service_healthy"
    for name in ("workers", "api"):
        assert SERVICES[name]["depends_on"]["deploy"]["condition"] == "service_completed_successfully"
    assert "8000:8000" in SERVICES["api"]["ports"]


def test_every_long_running_service_has_a_health_check() -> None:
    for name in ("postgres", "camunda", "api"):
        assert SERVICES[name]["healthcheck"]["test"], name


def test_postgres_holds_one_database_for_camunda_and_one_for_doorflow() -> None:
    postgres = SERVICES["postgres"]
    assert postgres["environment"]["POSTGRES_DB"] == "doorflow"
    init = next(v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v)
    script = (ROOT / init.split(":")[0]).read_text(encoding="utf-8")
    assert "CREATE DATABASE camunda" in script
