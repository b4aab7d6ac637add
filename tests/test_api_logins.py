"""Who may log in to the API and what a login is shown (issue 16, items 5, 11 and 12).

- Failed logins are throttled per client address and per user (429 with Retry-After) before anything
  reaches the engine, and service users are checked by doorflow, not the engine: strangers' wrong
  passwords cannot lock an integration out (item 12).
- Service users' API keys are stored hashed and rotated by an administrator; a rotation ends the old key.
- The audit's name of a caller is the identity file's, never the engine's editable profile (item 5).
- A shop front sees only the orders it brought in; other systems see orders without the customer's
  contact; an order a caller may not see is a 404 like a missing one (item 11).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from api.auth import KEY_HEADER, Authenticator, AuthThrottle
from api.main import create_app
from doorflow.operaton import EngineUser
from doorflow.settings import ROOT
from doorflow.simulated_systems import LOGISTICS
from models.access.tables import ApiKey
from models.audit import AuditEntry
from models.orders.tables import Order
from tests.conftest import LiveEngine, actor_of, login, make_settings, order_payload

WINDOW_S = 300.0
# The administrator's command: python -m doorflow api-key rotate <user>.
KEYS_COMMAND = "api-key"
ROTATE_ACTION = "rotate"
DELIVERED = "/orders/999999999/shipment/delivered"  # no such order: a login that gets in meets a 404


def delivered_body() -> dict[str, str]:
    # A fixed day: the order does not exist, so only the login decides the answer (404 once let in).
    return {"delivered_on": "2026-01-05", "received_by": "工地 王师傅", "tracking_number": "SF1"}


@pytest.fixture
def app(db_url: str, live_engine: LiveEngine) -> FastAPI:
    return create_app(make_settings(db_url, live_engine.cfg.url))


def clocked_throttle(app: FastAPI, clock: list[float]) -> None:
    settings = make_settings("", "")
    app.state.throttle = AuthThrottle(
        window_s=WINDOW_S,
        per_client=settings.auth_throttle_per_client,
        per_user=settings.auth_throttle_per_user,
        known_client_s=settings.auth_known_client_s,
        clock=lambda: clock[0],
    )


# --- item 12: lockout as denial of service ----------------------------------------------------------------


@pytest.mark.engine
def test_420_wrong_passwords_for_svc_logistics_are_throttled_and_the_right_login_still_works(
    app: FastAPI, live_engine: LiveEngine
) -> None:
    clock = [1000.0]
    clocked_throttle(app, clock)
    user, password = login(LOGISTICS)
    with TestClient(app) as carrier, TestClient(app, client=("203.0.113.9", 40000)) as stranger:
        assert carrier.post(DELIVERED, json=delivered_body(), auth=(user, password)).status_code == 404  # logged in
        statuses = [
            stranger.post(DELIVERED, json=delivered_body(), auth=(user, f"wrong-{i}")).status_code for i in range(420)
        ]
        assert statuses[0] == 401
        assert statuses[-1] == 429 and statuses.count(429) >= 400, statuses[:30]
        held = stranger.post(DELIVERED, json=delivered_body(), auth=(user, password))
        assert held.status_code == 429  # even the right password waits at the stranger's address
        assert 0 < int(held.headers["Retry-After"]) <= WINDOW_S
        assert "秒后再试" in held.json()["detail"]

        # The carrier's own system, which logged in before, is not switched off by the stranger.
        again = carrier.post(DELIVERED, json=delivered_body(), auth=(user, password))
        assert again.status_code == 404, again.text
        # After the window the right login works from the stranger's address too.
        clock[0] += WINDOW_S + 1
        assert stranger.post(DELIVERED, json=delivered_body(), auth=(user, password)).status_code == 404
    # Not one of the wrong passwords reached the engine, and the engine has not locked the account.
    assert app.state.authenticator.engine_checks == 0
    assert live_engine.client.verify_user(user, password) is not None


@pytest.mark.engine
def test_failed_staff_logins_are_throttled_before_the_engine_counts_them(app: FastAPI) -> None:
    clock = [1000.0]
    clocked_throttle(app, clock)
    authenticator: Authenticator = app.state.authenticator
    with TestClient(app, client=("198.51.100.7", 40000)) as stranger:
        # A user the engine does not know: wrong passwords for a real one would lock it in the shared engine.
        statuses = [stranger.get("/calendar/2026", auth=("nobody-x", f"nope-{i}")).status_code for i in range(40)]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    per_user = make_settings("", "").auth_throttle_per_user
    assert statuses[:per_user] == [401] * per_user and set(statuses[per_user:]) == {429}, statuses
    assert authenticator.engine_checks == per_user  # the engine saw only the first few


@pytest.mark.engine
def test_an_api_key_rotated_by_an_administrator_replaces_the_old_one(
    app: FastAPI, db_url: str, sessions: sessionmaker[Session]
) -> None:
    user, configured = login("svc-shop")
    env = {**os.environ, "DATABASE_URL": db_url}
    try:
        with TestClient(app) as client:
            assert client.get("/orders/999999999", auth=(user, configured)).status_code == 404  # before: its secret

            first = rotate(env, user)
            assert first.startswith(f"{user}.") and first != configured
            for how in ({KEY_HEADER: first}, {"Authorization": f"Bearer {first}"}):
                assert client.get("/orders/999999999", headers=how).status_code == 404, how
            assert client.get("/orders/999999999", auth=(user, first)).status_code == 404  # as the Basic password
            assert client.get("/orders/999999999", auth=(user, configured)).status_code == 401  # the old secret

            second = rotate(env, user)
            assert client.get("/orders/999999999", headers={KEY_HEADER: first}).status_code == 401
            assert client.get("/orders/999999999", headers={KEY_HEADER: second}).status_code == 404
            assert client.get("/orders/999999999", headers={KEY_HEADER: "svc-shop." + "x" * 43}).status_code == 401
        with sessions() as s:
            stored = s.scalars(select(ApiKey).where(ApiKey.user_id == user)).one()
            assert second not in stored.key_hash and len(stored.key_hash) == 64  # only a hash is kept
            rotations = s.scalars(select(AuditEntry).where(AuditEntry.action == "api_key.rotated")).all()
            assert len([r for r in rotations if r.entity_id == user]) >= 2
        refused = subprocess.run(
            [sys.executable, "-m", "doorflow", KEYS_COMMAND, ROTATE_ACTION, "wanglei"], env=env, cwd=ROOT,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert refused.returncode == 2 and "不是服务用户" in refused.stdout
    finally:
        with sessions() as s, s.begin():  # the other tests log in as svc-shop with its configured secret
            s.execute(delete(ApiKey).where(ApiKey.user_id == user))


def rotate(env: dict[str, str], user: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "doorflow", KEYS_COMMAND, ROTATE_ACTION, user],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


# --- item 5: the audit names the identity file's name, not the engine's editable profile ------------------


class ForgedProfileEngine:
    """An engine whose profile of wanglei was edited by wanglei himself (PUT /user/wanglei/profile)."""

    def verify_user(self, user_id: str, password: str) -> EngineUser | None:
        return EngineUser(id=user_id, first_name="伟（总经理）", last_name="张", groups=frozenset({"sales"}))


def test_the_callers_name_comes_from_the_identity_file_not_the_engine_profile() -> None:
    caller = Authenticator(60).authenticate(ForgedProfileEngine(), "wanglei", "demo")  # type: ignore[arg-type]
    assert caller is not None
    assert caller.name == "王磊" and caller.actor == actor_of("wanglei") == "wanglei 王磊"
    assert "总经理" not in caller.actor


# --- item 11: service users see what their role needs -----------------------------------------------------


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def create(client: TestClient, user: str, **overrides: Any) -> dict[str, Any]:
    created = client.post("/orders", json=order_payload(**overrides), auth=login(user))
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


@pytest.mark.engine
def test_the_shop_front_sees_only_its_own_orders_and_other_systems_no_customer_contact(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    private = {
        "customer_name": "李女士",
        "customer_phone": "13800138000",
        "delivery_address": "杭州市滨江区某小区 3-1-502",
    }
    by_sales = create(client, "wanglei", **private)
    by_shop = create(client, "svc-shop", customer_name="网店客户 周先生", customer_phone="13900139000")
    # The shop front reads the order it brought in, and no other: a 404 like an order that does not exist.
    own = client.get(f"/orders/{by_shop['id']}", auth=login("svc-shop"))
    assert own.status_code == 200 and own.json()["customer_phone"] == "13900139000"
    other = client.get(f"/orders/{by_sales['id']}", auth=login("svc-shop"))
    missing = client.get("/orders/999999999", auth=login("svc-shop"))
    assert other.status_code == missing.status_code == 404, other.text
    assert other.json()["detail"] == f"order {by_sales['id']} not found"
    assert "13800138000" not in other.text

    # The hotline reads the order, but not the private customer's phone and address.
    hotline = client.get(f"/orders/{by_sales['id']}", auth=login("svc-hotline"))
    assert hotline.status_code == 200, hotline.text
    seen = hotline.json()
    assert seen["order_number"] == by_sales["order_number"] and seen["customer_name"] == "李女士"
    assert seen["customer_phone"] is None and seen["delivery_address"] is None and seen["customer_email"] is None
    assert "13800138000" not in hotline.text and "滨江" not in hotline.text

    # The CRM (the customer book) and the staff keep what the matrix gives them.
    for user in ("svc-crm", "wanglei", "liuyang", "zhoujie"):
        full = client.get(f"/orders/{by_sales['id']}", auth=login(user))
        assert full.status_code == 200 and full.json()["customer_phone"] == "13800138000", user
        assert full.json()["delivery_address"] == private["delivery_address"], user
    listed = client.get("/orders", auth=login("svc-crm"), params={"limit": 200})
    assert {by_sales["id"], by_shop["id"]} <= {o["id"] for o in listed.json()}

    # Who created each order is stored: the authenticated caller, never a field of the body.
    with sessions() as s:
        query = select(Order.id, Order.created_by).where(Order.id.in_([by_sales["id"], by_shop["id"]]))
        creators = dict(s.execute(query).tuples().all())
    assert creators == {by_sales["id"]: "wanglei", by_shop["id"]: "svc-shop"}  # the authenticated caller
