"""Authentication and the role matrix: every API operation needs engine credentials and a permitted group.

All against the real engine (the users and groups of doorflow-identity.json): nothing here is mocked.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api import access
from api.auth import REALM, Authenticator
from api.main import create_app
from doorflow import demo, identity, stack
from doorflow.settings import ROOT
from doorflow.simulated_systems import FINANCE, LOGISTICS, WAREHOUSE, factory_responders
from models.audit import AuditEntry
from models.production.tables import PurchaseOrder
from tests.conftest import LiveEngine, actor_of, login, make_settings, order_payload

MATRIX = access.load()
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static-offline-docs"}
# A placeholder for each path parameter: valid for its type, so that only authorization can refuse the call.
PLACEHOLDERS = {"year": "2026", "customer_name": "某客户", "number": "DO20990101-001", "contract_number": "HT-1"}


def operations(app: FastAPI) -> list[tuple[str, str]]:
    return [(m.upper(), path) for path, item in app.openapi()["paths"].items() for m in item]


def unlisted(app: FastAPI, matrix: access.Matrix) -> list[str]:
    """Operations of the app that the matrix neither lists nor makes public: refused for everyone."""
    return [f"{m} {p}" for m, p in operations(app) if (m, p) not in matrix.routes and not matrix.is_public(m, p)]


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS.get(m.group(1), "1"), path)


def outsider(allowed: tuple[str, ...]) -> str:
    """A declared user none of whose groups may call the route."""
    for user in identity.users():
        if not set(user["groups"]) & set(allowed):
            return str(user["id"])
    raise AssertionError(f"every declared user may call a route open to {allowed}")


def insider(allowed: tuple[str, ...]) -> str:
    return next(str(u["id"]) for u in identity.users() if set(u["groups"]) & set(allowed) - MATRIX.admins)


def call(client: TestClient, method: str, path: str, auth: tuple[str, str] | None) -> Any:
    # POSTs carry an empty body: invalid for every route, so a 401/403 shows the check comes before validation.
    kwargs: dict[str, Any] = {"json": {}} if method == "POST" else {}
    return client.request(method, concrete(path), auth=auth, **kwargs)


@pytest.fixture(scope="module")
def app_client(db_url: str, live_engine: LiveEngine) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(db_url, live_engine.cfg.url))) as client:
        yield client  # no default credentials: each call says who it is


# --- the matrix is complete, and names only groups that exist ------------------------------------------------


def test_every_operation_is_in_the_matrix_and_every_entry_is_an_operation() -> None:
    app = create_app()
    missing = unlisted(app, MATRIX)
    assert not missing, f"routes missing from {access.ACCESS_FILE.name} (refused for everyone): {missing}"
    stale = sorted(f"{m} {p}" for m, p in set(MATRIX.routes) | MATRIX.public if (m, p) not in operations(app))
    assert not stale, f"{access.ACCESS_FILE.name} lists routes the API does not have: {stale}"
    unknown = MATRIX.groups() - set(identity.group_names())
    assert not unknown, f"groups not declared in doorflow-identity.json: {unknown}"


def test_only_the_docs_pages_are_routes_outside_the_openapi_document() -> None:
    """The gate guards every operation of the OpenAPI document: a hidden route would slip past it."""
    app = create_app()
    documented = set(app.openapi()["paths"])
    paths = {ctx.path for ctx in iter_route_contexts(app.routes)}
    assert paths - documented <= DOCS, paths - documented - DOCS


def test_the_readme_table_is_the_matrix_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert access.markdown_table(MATRIX) in readme, "regenerate: .venv/bin/python -m api.access"


def test_service_users_have_their_own_groups_and_demo_only_default_passwords() -> None:
    services = identity.service_users()
    assert {u["id"] for u in services} >= {"svc-shop", "svc-crm", "svc-finance", "svc-hotline", "svc-warehouse"}
    java = (ROOT / "engine/src/main/java/com/doorflow/engine/IdentityBootstrap.java").read_text(encoding="utf-8")
    engine_defaults = dict(re.findall(r'"(DOORFLOW_[A-Z_]+_PASSWORD)", "([^"]+)"', java))
    assert engine_defaults == identity.PASSWORD_DEFAULTS  # the engine sets the passwords the API's callers use
    groups = {g: [u["id"] for u in identity.users() if g in u["groups"]] for u in services for g in u["groups"]}
    assert all(len(members) == 1 for members in groups.values()), groups  # one system, one group of its own


# --- 401 and 403 for every operation -------------------------------------------------------------------------


@pytest.mark.engine
def test_every_operation_needs_credentials_and_refuses_other_groups(app_client: TestClient) -> None:
    ops = [(m, p) for m, p in operations(app_client.app) if not MATRIX.is_public(m, p)]  # type: ignore[arg-type]
    assert len(ops) >= 30
    for method, path in ops:
        route = f"{method} {path}"
        anonymous = call(app_client, method, path, None)
        assert anonymous.status_code == 401, route
        assert anonymous.headers["WWW-Authenticate"] == REALM, route

        allowed = MATRIX.allowed(method, path)
        assert allowed, route
        stranger = outsider(allowed)
        refused = call(app_client, method, path, login(stranger))
        assert refused.status_code == 403, (route, stranger, refused.text)
        assert refused.json()["allowed_groups"] == list(allowed), route
        assert all(group in refused.json()["detail"] for group in allowed), route

        member = insider(allowed)
        let_in = call(app_client, method, path, login(member))
        assert let_in.status_code not in (401, 403), (route, member, let_in.text)  # reaches the route: 2xx/404/422


def test_health_and_docs_answer_without_credentials(db_url: str) -> None:
    app = create_app(make_settings(db_url, f"http://127.0.0.1:{stack.free_port()}"))
    with TestClient(app) as client:
        assert client.get("/health/live").status_code == 200
        assert client.get("/health").status_code == 503  # the engine is down: not a 401
        for page in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(page).status_code == 200, page
        schema = client.get("/openapi.json").json()
        assert schema["components"]["securitySchemes"]["doorflowBasic"]["scheme"] == "basic"
        assert "security" not in schema["paths"]["/health"]["get"]
        assert schema["paths"]["/orders"]["post"]["security"] == [{"doorflowBasic": []}, {"doorflowApiKey": []}]
        assert schema["components"]["securitySchemes"]["doorflowApiKey"]["name"] == "X-API-Key"


@pytest.mark.engine
def test_a_route_missing_from_the_matrix_is_refused_for_everyone(db_url: str, live_engine: LiveEngine) -> None:
    app = create_app(make_settings(db_url, live_engine.cfg.url))
    app.add_api_route("/unlisted", lambda: {"ok": True}, methods=["GET"])
    assert unlisted(app, MATRIX) == ["GET /unlisted"]  # the completeness test above would name it
    with TestClient(app) as client:
        assert client.get("/unlisted").status_code == 401
        for user in ("doorflow", "admin", "zhaomin"):  # administrators too
            refused = client.get("/unlisted", auth=login(user))
            assert refused.status_code == 403 and "不在权限表" in refused.json()["detail"], user
            assert refused.json()["allowed_groups"] == []
        assert client.get("/orders", auth=login("doorflow")).status_code == 200


def test_the_matrix_file_refuses_malformed_entries(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="METHOD /path"):
        access.parse('[routes]\n"/orders" = ["sales"]\n', tmp_path / "a.toml")
    with pytest.raises(ValueError, match="unknown sets"):
        access.parse('[routes]\n"GET /orders" = ["@nobody"]\n', tmp_path / "a.toml")
    with pytest.raises(ValueError, match="non-empty"):
        access.parse('[routes]\n"GET /orders" = []\n', tmp_path / "a.toml")


# --- each group can do its part of the demo --------------------------------------------------------------------


def _actors(sessions: sessionmaker[Session], action: str, entity_id: object | None = None) -> set[str]:
    with sessions() as s:
        query = select(AuditEntry.actor).where(AuditEntry.action == action)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == str(entity_id))
        return set(s.scalars(query))


@pytest.mark.engine
def test_each_group_may_do_its_part_of_the_demo(
    app_client: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    """The shop front's order, the bank's payments, the warehouse's receipts and the carrier's delivery, as in
    ./dev demo, each as its own service user (the client has no credentials of its own); then staff and managers."""
    [scenario] = [s for s in demo.ORDER_SCENARIOS if s.stage == "ShipmentDelivered"]
    said: list[str] = []
    driver = demo.Demo(app_client, live_engine.client, live_engine.history, said.append)
    [(order, where)] = driver.orders([scenario])
    assert where == "reached", said
    order_id = order["id"]
    factory_responders(app_client, order_id)["ShipmentDelivered"]({})  # the carrier reports the delivery
    assert _actors(sessions, "order.created", order_id) == {actor_of(demo.SHOP)}
    assert _actors(sessions, "installment.payment_recorded") >= {actor_of(FINANCE)}
    assert actor_of(LOGISTICS) in _actors(sessions, "order.delivered", order_id) | _actors(
        sessions, "shipment.delivered"
    )
    with sessions() as s:  # the receipts of this order's purchase orders: the warehouse system posted them
        numbers = list(s.scalars(select(PurchaseOrder.number).where(PurchaseOrder.order_id == order_id)))
    received = set().union(*(_actors(sessions, "goods.received", number) for number in numbers))
    assert received <= {actor_of(WAREHOUSE)}, received
    assert not numbers or received == {actor_of(WAREHOUSE)}, numbers

    driver.change_request(order)  # the CRM
    assert _actors(sessions, "change.requested") >= {actor_of(demo.CRM)}
    ticket = app_client.post(
        "/tickets",
        auth=login(demo.HOTLINE),
        json={"customer_name": order["customer_name"], "order_number": order["order_number"],
              "product_model": "GF-960", "channel": "hotline", "problem_type": "lock_hardware",
              "severity": "high", "urgency": "high", "problem_description": "锁芯卡死"},
    )  # fmt: skip
    assert ticket.status_code == 201, ticket.text

    # Staff do their part with their own logins.
    by_sales = app_client.post("/orders", json=order_payload(customer_name="认证测试客户"), auth=login("wanglei"))
    assert by_sales.status_code == 201, by_sales.text
    change = {"description": "改为右内开", "requested_by": "客户"}
    assert app_client.post(f"/orders/{by_sales.json()['id']}/change-requests", json=change, auth=login("wanglei"))
    reason = {"reason": "客户要求暂停"}
    held = app_client.post(f"/orders/{by_sales.json()['id']}/hold", json=reason, auth=login("liuyang"))
    assert held.status_code == 200, held.text
    resumed = app_client.post(f"/orders/{by_sales.json()['id']}/resume", json=reason, auth=login("liuyang"))
    assert resumed.status_code == 200, resumed.text
    assert app_client.get(f"/orders/{order_id}/installments", auth=login("hejing")).status_code == 200
    assert app_client.get(f"/orders/{order_id}/timeline", auth=login("sunli")).status_code == 200

    # Managers (and the general manager) read the reports; department heads read their own.
    period = {"start": "2020-01-01", "end": "2099-12-31"}
    for user in ("zhaomin", "zhangwei"):
        assert app_client.get("/reports/orders", params=period, auth=login(user)).status_code == 200, user
        assert app_client.get("/reports/collection", auth=login(user)).status_code == 200, user
        assert app_client.get("/reports/after-sales", auth=login(user)).status_code == 200, user
    assert app_client.get("/reports/orders", params=period, auth=login("liuyang")).status_code == 200
    assert app_client.get("/reports/collection", auth=login("hejing")).status_code == 200
    assert app_client.get("/reports/after-sales", auth=login("songtao")).status_code == 200
    # … and a shop front or a salesperson does not.
    assert app_client.get("/reports/collection", auth=login("svc-shop")).status_code == 403
    assert app_client.get("/reports/collection", auth=login("wanglei")).status_code == 403


# --- wrong passwords, the cache, and the engine away ----------------------------------------------------------


@pytest.mark.engine
def test_wrong_password_is_401_logins_are_remembered_briefly_and_the_engine_away_is_503(
    db_url: str, live_engine: LiveEngine
) -> None:
    ttl = 60.0
    clock = [1000.0]  # the authenticator's clock, moved by the test: no timing depends on the machine's load
    authenticator = Authenticator(ttl, clock=lambda: clock[0])
    settings = make_settings(db_url, live_engine.cfg.url)
    user, password = login("gaofeng")  # no other test logs in as gaofeng: the engine's lock touches nobody else
    with TestClient(create_app(settings, authenticator)) as client:
        assert client.get("/orders/999999999/production", auth=(user, password)).status_code == 404  # in; no such order
        assert client.get("/calendar/2026", auth=(user, password)).status_code == 200
        assert authenticator.engine_checks == 1  # the second request was answered from memory

        wrong = client.get("/calendar/2026", auth=(user, password + "-wrong"))
        assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == REALM
        assert client.get("/calendar/2026", auth=(user, password + "-wrong")).status_code == 401
        assert authenticator.engine_checks == 2  # the same wrong password again is not counted at the engine again
        assert client.get("/calendar/2026", auth=(user, password)).status_code == 200  # the right login stays
        assert authenticator.engine_checks == 2
        assert client.get("/calendar/2026", auth=(user, "")).status_code == 401
        assert client.get("/calendar/2026", auth=("no-such-user", password)).status_code == 401
        assert client.get("/calendar/2026", headers={"Authorization": "Basic !!!"}).status_code == 401
        assert client.get("/calendar/2026", headers={"Authorization": "Bearer abc"}).status_code == 401

        # After the TTL the engine is asked again (it may refuse the right password for a few seconds: a wrong
        # one locks the account briefly, longer with each further one).
        clock[0] += ttl + 0.1
        checks = authenticator.engine_checks
        deadline = time.monotonic() + 60
        while (status := client.get("/calendar/2026", auth=(user, password)).status_code) != 200:
            assert status == 401 and time.monotonic() < deadline
            time.sleep(1)
            clock[0] += ttl + 0.1  # a refusal is remembered too: ask the engine again on the next try
        assert authenticator.engine_checks > checks

    # The engine unreachable and nothing remembered: 503 with Retry-After, as for the routes themselves.
    dead = make_settings(db_url, f"http://127.0.0.1:{stack.free_port()}")
    with TestClient(create_app(dead)) as client:
        away = client.get("/calendar/2026", auth=(user, password))
        assert away.status_code == 503 and away.headers["Retry-After"], away.text
        assert "unreachable" in away.json()["detail"]
        assert client.get("/calendar/2026").status_code == 401  # no credentials needs no engine


# --- no committed secrets --------------------------------------------------------------------------------------

# Demo-only default passwords (documented in README and doorflow-identity.json); where one appears as a value it
# must be marked demo-only within a few lines above.
DEMO_DEFAULTS = set(identity.PASSWORD_DEFAULTS.values()) | {"doorflow", "operaton"}
MARKER = re.compile(r"(?i)demo[- ]only|local/demo|demo defaults?\b")
SECRET_WORD = r"[\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key)[\w.-]*"
TOKENS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),  # GitHub token
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),  # Slack token
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"),  # GitLab token
    re.compile(r"\bsk-[A-Za-z0-9]{32,}\b"),  # API secret keys of several vendors
]
VALUES = [
    re.compile(rf"(?i)\b{SECRET_WORD}['\"]?\s*[:=,]\s*['\"]([^'\"\s]*)['\"]"),  # key = "<value>", "key": "<value>"
    re.compile(r"(?i)^\s*(?:export\s+)?[a-z_][\w-]*(?:password|secret|token)[\w-]*\s*=\s*([^\s'\"#$]+)"),  # KEY=v
    re.compile(rf"(?i)\$\{{{SECRET_WORD}:-([^}}]*)\}}"),  # ${KEY:-v}
    re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]+)@"),  # scheme://user:<value>@host
    re.compile(r"(?:^|\s)(?:-u|--user)\s+['\"]?[\w.-]+:([^\s'\"]+)"),  # curl -u user:<value>
    re.compile(rf"(?i){SECRET_WORD}\s*:\s*\w+\s*=\s*Field\(\s*default\s*=\s*['\"]([^'\"]*)['\"]"),  # settings
]


PLACEHOLDER_WORDS = re.compile(r"(?i)^(pw|pwd|pass|password|secret|token)$|password|secret")


def _harmless(value: str) -> bool:
    """References, placeholders and prose, not secrets: ${VAR}, <password>, …, a variable's name, a label."""
    return (
        not value
        or not value.isascii()  # a label in Chinese (the web apps' translations), not a password
        or value.endswith(";")  # code
        or bool(PLACEHOLDER_WORDS.search(value))  # pw, "operaton_password" (a psql variable's name)
        or value[0] in "$<{*…("
        or "…" in value
        or bool(re.fullmatch(r"[A-Z][A-Z0-9_]*", value))  # the name of a variable (passwordEnv, env lookups)
        or bool(re.fullmatch(r"[\w.]+\(.*|\w+\.\w+.*", value))  # code: a call or an attribute
    )


def scan(root: Path, files: list[str]) -> list[str]:
    """Every committed secret: a private key, a token, or a literal password that is not a marked demo default."""
    found = []
    for name in files:
        path = root / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary
        text = data.decode("utf-8", "replace")
        lines = text.splitlines()
        for pattern in TOKENS:
            for match in pattern.finditer(text):
                found.append(f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)[:20]}…")
        for pattern in VALUES:
            flags = re.MULTILINE if pattern.pattern.startswith("(?i)^") else 0
            for match in re.finditer(pattern.pattern, text, flags | re.IGNORECASE):
                value = match.group(1)
                line_no = text.count("\n", 0, match.start()) + 1
                if _harmless(value):
                    continue
                near = "\n".join(lines[max(0, line_no - 16) : line_no + 3])
                if value in DEMO_DEFAULTS and MARKER.search(near):
                    continue
                found.append(f"{name}:{line_no}: {value!r} (not a marked demo-only default)")
    return found


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [f for f in out.decode().split("\0") if f]


def test_no_secrets_are_committed() -> None:
    files = tracked_files()
    assert "tests/test_auth.py" in files or len(files) > 100
    assert scan(ROOT, files) == []


def test_the_secret_scan_finds_a_planted_secret(tmp_path: Path) -> None:
    word = "pass" + "word"  # built here, so that this file itself holds no secret to find
    planted = {
        "settings.py": f'db_{word} = "s3cr3t-Real-Xy9"\n',
        "deploy.env": f"SMTP_{word.upper()}=hunter2hunter2\n",
        "compose.yml": "  url: postgresql://app:" + "Tr0ub4dor3" + "@db:5432/app\n",
        "key.pem": "-----BEGIN RSA PRIVATE" + " KEY-----\nMIIB\n",
        "undeclared-demo.yml": f"  X_{word.upper()}: ${{X_{word.upper()}:-demo}}\n",  # a demo default, unmarked
    }
    for name, content in planted.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    found = scan(tmp_path, list(planted))
    assert {entry.split(":")[0] for entry in found} == set(planted), found
    marked = tmp_path / "marked.yml"
    marked.write_text(f"# demo-only default:\n  X_{word.upper()}: ${{X_{word.upper()}:-demo}}\n", encoding="utf-8")
    assert scan(tmp_path, ["marked.yml"]) == []


def test_compose_and_kubernetes_pass_every_engine_password_variable() -> None:
    """The engine sets every declared user's password from its variable: the deployments must pass each one."""
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    values = (ROOT / "deploy/kubernetes/values.yaml").read_text(encoding="utf-8")
    for variable in {u["passwordEnv"] for u in identity.users()}:
        line = next((x for x in compose.splitlines() if x.strip().startswith(f"{variable}: ${{{variable}:-")), "")
        assert line, f"docker-compose.yml does not pass {variable} to the engine"
        assert f"{variable}:\n            valueFrom:" in values, f"values.yaml does not pass {variable}"
