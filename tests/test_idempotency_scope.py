"""Issue 16 item 10: an Idempotency-Key is the caller's own, covers the whole request and expires.

Findings: svc-shop created an order with key K and wanglei, sending K with the same body, got svc-shop's
order back; the query string was not part of the fingerprint (the quarterly document for 2025 Q1 with key
Q answered the 2026 Q4 one).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.main import create_app
from doorflow.settings import Settings
from tests.conftest import LiveEngine, login, make_settings, order_payload
from tests.declared_logins import DeclaredLogins

DOCUMENT = "/reports/after-sales/quarterly/document"


@pytest.fixture(scope="module")
def declared(db_url: str) -> Iterator[TestClient]:
    """The API on the test database with the identity file's users (no engine: the routes here need none)."""
    settings = Settings(_env_file=None, database_url=db_url, engine_url="http://127.0.0.1:9/engine-rest")
    with TestClient(create_app(settings, DeclaredLogins())) as client:
        client.auth = ("gaofeng", "-")  # technical: may render the quarterly document
        yield client


def test_the_query_string_is_part_of_the_request(declared: TestClient) -> None:
    key = {"Idempotency-Key": f"Q-{uuid.uuid4()}"}
    first = declared.post(DOCUMENT, params={"year": 2025, "quarter": 1}, headers=key)
    assert first.status_code == 201, first.text
    assert first.json()["title"].startswith("2025年第1季度")
    other = declared.post(DOCUMENT, params={"year": 2026, "quarter": 4}, headers=key)
    assert other.status_code == 409, other.text  # another request with the key: refused, not answered with 2025 Q1
    assert "Idempotency-Key" in other.json()["detail"]
    again = declared.post(DOCUMENT, params={"quarter": 1, "year": 2025}, headers=key)  # same query, other order
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()


def test_another_caller_with_the_same_key_is_processed_afresh(declared: TestClient) -> None:
    key = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    params = {"year": 2025, "quarter": 2}
    technical = declared.post(DOCUMENT, params=params, headers=key)
    declared.auth = ("songtao", "-")  # the service supervisor, with the same key and the same request
    try:
        supervisor = declared.post(DOCUMENT, params=params, headers=key)
        assert supervisor.status_code == 201
        assert "Idempotent-Replayed" not in supervisor.headers
        assert supervisor.json()["id"] != technical.json()["id"]
        assert supervisor.json()["version"] == technical.json()["version"] + 1
        repeat = declared.post(DOCUMENT, params=params, headers=key)
        assert repeat.headers.get("Idempotent-Replayed") == "true" and repeat.json() == supervisor.json()
    finally:
        declared.auth = ("gaofeng", "-")


def test_a_key_past_the_retention_is_forgotten(declared: TestClient, db: Engine) -> None:
    key = f"old-{uuid.uuid4()}"
    params = {"year": 2025, "quarter": 3}
    first = declared.post(DOCUMENT, params=params, headers={"Idempotency-Key": key})
    assert first.status_code == 201
    hours = Settings.model_fields["idempotency_retention_hours"].default
    with db.begin() as c:  # the key was used a little longer ago than the retention
        c.execute(
            text("UPDATE api_idempotency_keys SET created_at = now() - make_interval(secs => :s) WHERE key = :k"),
            {"s": hours * 3600 + 60, "k": key},
        )
    later = declared.post(DOCUMENT, params=params, headers={"Idempotency-Key": key})
    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later.headers  # processed anew
    assert later.json()["version"] == first.json()["version"] + 1
    with db.connect() as c:
        rows = c.execute(text("SELECT count(*) FROM api_idempotency_keys WHERE key = :k"), {"k": key}).scalar_one()
        stale = c.execute(
            text("SELECT count(*) FROM api_idempotency_keys WHERE created_at < now() - make_interval(secs => :s)"),
            {"s": hours * 3600},
        ).scalar_one()
    assert (rows, stale) == (1, 0)  # the old row was purged, the new one stored


@pytest.fixture
def live_api(db_url: str, live_engine: LiveEngine) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(db_url, live_engine.cfg.url))) as client:
        yield client


def test_an_order_key_of_svc_shop_does_not_answer_wanglei(live_api: TestClient, db: Engine) -> None:
    """Real logins on the live engine: the shop front and a salesman send the same key with the same body."""
    customer = f"幂等分人测试-{uuid.uuid4().hex[:6]}"
    key = {"Idempotency-Key": f"K-{uuid.uuid4()}"}
    body = order_payload(customer_name=customer)
    shop = live_api.post("/orders", json=body, headers=key, auth=login("svc-shop"))
    assert shop.status_code == 201, shop.text
    sales = live_api.post("/orders", json=body, headers=key, auth=login("wanglei"))
    assert sales.status_code == 201, sales.text
    assert "Idempotent-Replayed" not in sales.headers
    assert sales.json()["id"] != shop.json()["id"]
    with db.connect() as c:
        count = c.execute(text("SELECT count(*) FROM orders WHERE customer_name = :c"), {"c": customer}).scalar_one()
    assert count == 2
    # Each caller's own repeat is still answered from their own first result.
    assert live_api.post("/orders", json=body, headers=key, auth=login("svc-shop")).json() == shop.json()
    assert live_api.post("/orders", json=body, headers=key, auth=login("wanglei")).json() == sales.json()
