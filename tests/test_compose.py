"""The container and Kubernetes files cannot run here (no Docker engine, no cluster): check what they say.

docker-compose.yml, the two Dockerfiles, deploy/postgres-init.sql and deploy/kubernetes/values.yaml are
parsed and checked against the engine application (engine/pom.xml, application.yaml) and doorflow's
settings, so a renamed property, a wrong URL or a forgotten node shows up as a failing test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from doorflow.settings import ROOT, Settings, engine_version

COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, Any] = COMPOSE["services"]
ENGINES = ("engine-1", "engine-2")
WORKERS = ("workers-1", "workers-2")
DOORFLOW_SERVICES = ("deploy", *WORKERS, "api")
ENGINE_DOCKERFILE = ROOT / "engine" / "Dockerfile"
APP_DOCKERFILE = ROOT / "Dockerfile"
APPLICATION_YAML: dict[str, Any] = yaml.safe_load(
    (ROOT / "engine" / "src" / "main" / "resources" / "application.yaml").read_text(encoding="utf-8")
)
K8S_DIR = ROOT / "deploy" / "kubernetes"
# ${VAR:-default}, ${VAR-default} or ${VAR}, as compose interpolates them.
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def env_name(spring_property: str) -> str:
    """Spring Boot's environment-variable form of a canonical property name (relaxed binding)."""
    return spring_property.replace("-", "").replace(".", "_").upper()


def env(service: str) -> dict[str, str]:
    environment = SERVICES[service]["environment"]
    assert isinstance(environment, dict), f"{service}: environment as a mapping"
    return {key: str(value) for key, value in environment.items()}


def with_defaults(value: str) -> str:
    """The value compose uses when none of the variables is set: the (demo) defaults."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def build_context(service: str) -> Path:
    build = SERVICES[service]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    return (ROOT / context).resolve()


def health_command(service: str) -> list[str]:
    test = SERVICES[service]["healthcheck"]["test"]
    assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, service
    return [str(part) for part in test[1:]]


def has_property(tree: dict[str, Any], dotted: str) -> bool:
    node: Any = tree
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def dockerfile_from_images(path: Path) -> list[str]:
    return re.findall(r"^FROM\s+(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE | re.IGNORECASE)


# --- the stack ----------------------------------------------------------------------------------


def test_services_are_the_whole_stack() -> None:
    assert set(SERVICES) == {"postgres", *ENGINES, *DOORFLOW_SERVICES, "mail"}


def test_no_camunda_8_leftovers() -> None:
    for name, service in SERVICES.items():
        image = str(service.get("image", ""))
        assert "camunda" not in image and "io.camunda" not in image, name
    for path in (ROOT / "docker-compose.yml", APP_DOCKERFILE, ENGINE_DOCKERFILE, K8S_DIR / "values.yaml"):
        text = path.read_text(encoding="utf-8").lower()
        for word in ("zeebe", "camunda", "elasticsearch", "26500"):
            assert word not in text, f"{path.name} mentions {word}"
        assert not re.search(r"\boperate\b", text), f"{path.name} mentions Operate"


# --- the engine nodes ----------------------------------------------------------------------------


def test_the_engine_properties_set_by_compose_exist_in_the_application() -> None:
    for prop in (
        "doorflow.node-name",
        "operaton.bpm.job-execution.lock-time-in-millis",
        "spring.datasource.url",
        "spring.datasource.username",
        "spring.datasource.password",
    ):
        assert has_property(APPLICATION_YAML, prop), prop
    assert env_name("operaton.bpm.job-execution.lock-time-in-millis") == "OPERATON_BPM_JOBEXECUTION_LOCKTIMEINMILLIS"


def test_both_engine_nodes_are_built_from_engine_and_share_one_database() -> None:
    urls = set()
    for name in ENGINES:
        assert build_context(name) == (ROOT / "engine").resolve(), name
        assert (build_context(name) / "Dockerfile").is_file()
        e = env(name)
        urls.add(e[env_name("spring.datasource.url")])
        assert e[env_name("spring.datasource.username")] == "operaton"
        assert SERVICES[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert urls == {"jdbc:postgresql://postgres:5432/operaton"}
    password = env_name("spring.datasource.password")
    assert env("engine-1")[password] == env("engine-2")[password]


def test_engine_nodes_have_distinct_names_and_the_failover_lock_time() -> None:
    names = [env(name)[env_name("doorflow.node-name")] for name in ENGINES]
    assert all(names) and len(set(names)) == len(ENGINES)
    for name in ENGINES:
        assert env(name)[env_name("operaton.bpm.job-execution.lock-time-in-millis")] == "60000", name


def test_engine_nodes_publish_8080_and_8081_and_check_readiness() -> None:
    assert "127.0.0.1:8080:8080" in SERVICES["engine-1"]["ports"]
    assert "127.0.0.1:8081:8080" in SERVICES["engine-2"]["ports"]
    # Compose runs the image's readiness script, engine-ready (written by engine/Dockerfile).
    script = re.search(r"<<'EOF' /usr/local/bin/engine-ready\n(.*?)^EOF$", ENGINE_DOCKERFILE.read_text(), re.M | re.S)
    assert script and "GET /actuator/health/readiness" in script.group(1)
    assert '[ "$status" = 200 ]' in script.group(1)
    for name in ENGINES:
        assert health_command(name) == ["engine-ready"], name


# --- the engine image ----------------------------------------------------------------------------


def test_engine_dockerfile_builds_engine_with_maven_and_runs_on_a_jre_as_non_root() -> None:
    text = ENGINE_DOCKERFILE.read_text(encoding="utf-8")
    images = dockerfile_from_images(ENGINE_DOCKERFILE)
    assert images[0] == "maven:3.9-eclipse-temurin-17"
    assert images[-1] == "eclipse-temurin:17-jre"
    # The build context is engine/: pom.xml and src/ are copied from its root.
    assert re.search(r"^COPY\s+pom\.xml\s", text, re.MULTILINE)
    assert re.search(r"^COPY\s+src\s", text, re.MULTILINE)
    assert "mvn -B -q package -DskipTests" in text
    assert (ROOT / "engine" / "pom.xml").is_file() and (ROOT / "engine" / "src").is_dir()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK\s.*CMD", text, re.MULTILINE)
    assert "/actuator/health/readiness" in text
    assert re.search(r"^EXPOSE\s+8080\b", text, re.MULTILINE)
    assert "SERVER_ADDRESS=0.0.0.0" in text
    assert "target/" in (ROOT / "engine" / ".dockerignore").read_text(encoding="utf-8")


def test_operaton_version_is_pinned_only_in_the_engine_pom() -> None:
    version = engine_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", version)
    pom = (ROOT / "engine" / "pom.xml").read_text(encoding="utf-8")
    assert pom.count("<operaton.version>") == 1
    assert f"<version>{version}</version>" not in pom  # dependencies use ${operaton.version}
    for path in (ROOT / "docker-compose.yml", APP_DOCKERFILE, ENGINE_DOCKERFILE, K8S_DIR / "values.yaml"):
        assert version not in path.read_text(encoding="utf-8"), path.name


# --- doorflow's services -------------------------------------------------------------------------


def test_doorflow_image_keeps_the_factory_zone_and_installs_the_package() -> None:
    text = APP_DOCKERFILE.read_text(encoding="utf-8")
    assert "TZ=CST-8" in text
    assert re.search(r"^RUN pip install \.$", text, re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv/", "node_modules/"} <= set(ignored)


def test_doorflow_services_point_at_the_engines_and_the_doorflow_database(monkeypatch: pytest.MonkeyPatch) -> None:
    engine_urls = {}
    for name in DOORFLOW_SERVICES:
        assert build_context(name) == ROOT.resolve(), name
        for key, value in env(name).items():
            monkeypatch.setenv(key, with_defaults(value))
        settings = Settings(_env_file=None)
        db = urlsplit(settings.database_url or "")
        assert (db.hostname, db.port, db.path) == ("postgres", 5432, "/doorflow"), name
        engine = urlsplit(settings.engine_url)
        assert engine.hostname in ENGINES and engine.port == 8080 and engine.path in ("", "/"), name
        engine_urls[name] = engine.hostname
        # The engine user the services log in as has the password the engines were given.
        assert settings.engine_user == "doorflow"
        assert env(name)["DOORFLOW_ENGINE_SYSTEM_PASSWORD"] == env(engine.hostname)["DOORFLOW_ENGINE_SYSTEM_PASSWORD"]
    assert engine_urls["deploy"] == "engine-1" and engine_urls["api"] == "engine-1"
    # Workers on both nodes.
    assert [engine_urls[name] for name in WORKERS] == ["engine-1", "engine-2"]


def test_start_order_waits_for_health_and_the_one_shot_deploy() -> None:
    deploy = SERVICES["deploy"]
    assert deploy["command"] == ["python", "-m", "doorflow", "deploy"]
    assert deploy["depends_on"]["engine-1"]["condition"] == "service_healthy"
    assert deploy["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in (*WORKERS, "api"):
        assert SERVICES[name]["depends_on"]["deploy"]["condition"] == "service_completed_successfully", name
    for name in WORKERS:
        assert SERVICES[name]["command"] == ["python", "-m", "workers.main"]
        engine = urlsplit(env(name)["ENGINE_URL"]).hostname
        assert SERVICES[name]["depends_on"][engine]["condition"] == "service_healthy", name
        assert SERVICES[name]["depends_on"]["mail"]["condition"] == "service_healthy", name
    assert "127.0.0.1:8000:8000" in SERVICES["api"]["ports"]
    assert "127.0.0.1:8000/health" in " ".join(health_command("api"))


def test_every_published_port_is_bound_to_loopback_behind_a_documented_reverse_proxy() -> None:
    """The engine's and the API's ports (and every other) are published on 127.0.0.1 only, never on all
    interfaces; the outside comes in through the reverse proxy that docs/reverse-proxy.md describes."""
    published = {name: [str(p) for p in service.get("ports", [])] for name, service in SERVICES.items()}
    assert published["engine-1"] and published["engine-2"] and published["api"]
    for name, ports in published.items():
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
    proxy = ROOT / "docs" / "reverse-proxy.md"
    text = proxy.read_text(encoding="utf-8")
    for upstream in ("127.0.0.1:8000", "127.0.0.1:8080", "X-Forwarded-For", "FORWARDED_ALLOW_IPS"):
        assert upstream in text, upstream
    assert env("api")["FORWARDED_ALLOW_IPS"]


def test_workers_send_mail_to_the_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    mail = SERVICES["mail"]
    assert health_command("mail")
    for name in WORKERS:
        for key, value in env(name).items():
            monkeypatch.setenv(key, with_defaults(value))
        settings = Settings(_env_file=None)
        assert settings.smtp_host == "mail", name
        assert settings.smtp_port == 1025, name  # the sink's SMTP port (mailpit's default)
    assert str(mail["image"]).startswith("axllent/mailpit:")


def test_every_password_is_a_variable_with_a_demo_default() -> None:
    for name in SERVICES:
        for key, value in SERVICES[name].get("environment", {}).items():
            if "PASSWORD" in key:
                assert re.fullmatch(r"\$\{\w+:-[^}]+\}", str(value)), f"{name}.{key} = {value}"
    # One variable per secret, used consistently by whoever sets it and whoever uses it.
    assert env("postgres")["POSTGRES_PASSWORD"] in env("api")["DATABASE_URL"]
    assert env("postgres")["OPERATON_DB_PASSWORD"] == env("engine-1")["SPRING_DATASOURCE_PASSWORD"]
    assert re.search(r"demo[- ]only", COMPOSE_TEXT, re.IGNORECASE)


# --- PostgreSQL -----------------------------------------------------------------------------------


def test_postgres_holds_the_doorflow_database_and_creates_the_operaton_one() -> None:
    postgres = SERVICES["postgres"]
    assert postgres["image"] == "postgres:18"
    assert postgres["environment"]["POSTGRES_DB"] == "doorflow"
    assert health_command("postgres")
    init = next(v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v)
    source = ROOT / init.split(":")[0]
    assert source == ROOT / "deploy" / "postgres-init.sql"
    script = source.read_text(encoding="utf-8")
    assert re.search(r"^CREATE ROLE operaton LOGIN\b", script, re.MULTILINE)
    assert re.search(r"^CREATE DATABASE operaton OWNER operaton;", script, re.MULTILINE)
    # The role's password comes from the container environment, which compose provides.
    assert "\\getenv operaton_password OPERATON_DB_PASSWORD" in script
    assert "OPERATON_DB_PASSWORD" in postgres["environment"]


# --- Kubernetes -----------------------------------------------------------------------------------


def test_kubernetes_values_run_two_engine_replicas_on_one_external_database() -> None:
    values: dict[str, Any] = yaml.safe_load((K8S_DIR / "values.yaml").read_text(encoding="utf-8"))
    controllers = values["controllers"]
    engine = controllers["engine"]
    assert engine["replicas"] == 2
    container = engine["containers"]["app"]
    engine_env = container["env"]
    assert engine_env[env_name("spring.datasource.url")].startswith("jdbc:postgresql://")
    assert engine_env[env_name("spring.datasource.url")].endswith("/operaton")
    assert engine_env[env_name("operaton.bpm.job-execution.lock-time-in-millis")] == "60000"
    assert engine_env[env_name("doorflow.node-name")]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert container["probes"]["readiness"]["spec"]["httpGet"]["path"] == "/actuator/health/readiness"
    # Workers and API reach the engine through its Service.
    service = values["service"]["engine"]
    engine_url = f"http://{service['forceRename']}:{service['ports']['http']['port']}"
    for name in ("workers", "api", "deploy"):
        assert controllers[name]["containers"]["app"]["env"]["ENGINE_URL"] == engine_url, name
    assert controllers["workers"]["replicas"] >= 2
    assert "postgres" not in controllers  # PostgreSQL is given externally
    readme = (K8S_DIR / "README.md").read_text(encoding="utf-8")
    assert "not verified" in readme.lower()


def test_the_api_gets_every_service_users_secret_it_checks_itself() -> None:
    """The API checks service users itself (not the engine): it needs each one's variable, or it would fall
    back to the demo-only default while the engine has the real secret."""
    from doorflow import identity

    values = yaml.safe_load((ROOT / "deploy/kubernetes/values.yaml").read_text(encoding="utf-8"))
    api_env = values["controllers"]["api"]["containers"]["app"]["env"]
    for user in identity.service_users():
        variable = user["passwordEnv"]
        assert env("api")[variable] == f"${{{variable}:-{identity.PASSWORD_DEFAULTS[variable]}}}", variable
        assert api_env[variable]["valueFrom"]["secretKeyRef"]["name"] == "doorflow-secrets", variable
