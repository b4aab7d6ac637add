"""What the API fuzzer (tests/test_fuzz.py) found, one plain test each; every one failed on the code before its fix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from models.db import unit_of_work
from models.orders.tables import Order, OrderStatus
from tests.api_auth import authenticated_client
from tests.conftest import LiveEngine, make_settings, verified

UNREACHABLE_ENGINE = "http://127.0.0.1:9"  # the discard port: nothing answers


@pytest.fixture
def client(db_url: str, live_engine: LiveEngine) -> Iterator[TestClient]:
    """The API on the test database with the engine unreachable (the caller's login verified before it went)."""
    app = create_app(make_settings(db_url, UNREACHABLE_ENGINE), authenticator=verified(live_engine))
    with authenticated_client(app, raise_server_exceptions=False) as c:
        yield c


def _document(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _validates(client: TestClient, response_schema: dict[str, Any], body: Any) -> None:
    """The body matches the documented schema (its $refs resolved in the whole document)."""
    document = _document(client)
    jsonschema_rs.validate({**response_schema, "components": document["components"]}, body)


def _response_schema(client: TestClient, method: str, path: str, status: int) -> dict[str, Any]:
    answer = _document(client)["paths"][path][method]["responses"][str(status)]
    schema: dict[str, Any] = answer["content"]["application/json"]["schema"]
    return schema


def _stored_order(sessions: sessionmaker[Session], process_instance_id: str | None) -> int:
    tag = uuid.uuid4().hex[:8]
    with unit_of_work(sessions) as s:
        order = Order(
            order_number=f"DO20261201-F{tag}",
            customer_name=f"回归测试客户-{tag}",
            delivery_address="浙江省杭州市",
            requested_delivery_date=date(2099, 6, 30),
            status=OrderStatus.REGISTERED,
            process_instance_id=process_instance_id,
        )
        s.add(order)
        s.flush()
        return order.id


# Finding 1: a body that is not UTF-8 was a bare, undocumented 400 ("There was an error parsing the body").
@pytest.mark.parametrize("path", ["/orders", "/tickets", "/orders/1/hold", "/installments/1/payments"])
def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(client: TestClient, path: str) -> None:
    response = client.post(path, content=b'{"customer_name": "\xff\xfe"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body"] and error["type"] == "json_invalid"


def test_other_http_errors_keep_their_status(client: TestClient) -> None:
    assert client.get("/no-such-route").status_code == 404
    assert client.put("/orders").status_code == 405


# Finding 2: POST /orders and POST /tickets answered a reused Idempotency-Key with a 409 they did not document.
def test_every_route_with_an_idempotency_key_documents_its_409(client: TestClient) -> None:
    keyed = [
        (method, path, op)
        for path, item in _document(client)["paths"].items()
        for method, op in item.items()
        if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
    ]
    assert len(keyed) >= 5
    for method, path, op in keyed:
        assert "409" in op["responses"], (method, path)
        assert "Idempotency-Key" in op["responses"]["409"]["description"], (method, path)


# Finding 3: GET /orders/{id}/timeline reads the engine; with the engine down it answered an undocumented 503.
def test_the_timeline_documents_its_503_when_the_engine_is_down(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    order_id = _stored_order(sessions, process_instance_id=str(uuid.uuid4()))
    response = client.get(f"/orders/{order_id}/timeline")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "503" in _document(client)["paths"]["/orders/{order_id}/timeline"]["get"]["responses"]
    _validates(client, _response_schema(client, "get", "/orders/{order_id}/timeline", 503), response.json())


# Finding 4 (the document lied by omission): 404, 409 and 503 answers had no documented body or content type,
# so nothing could check them; /health's answers had none either.
def test_every_error_answer_documents_its_body(client: TestClient) -> None:
    documented = 0
    for path, item in _document(client)["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                if status in ("404", "409", "502", "503"):
                    assert "application/json" in answer.get("content", {}), (method, path, status)
                    documented += 1
    assert documented >= 40


def test_a_404_answer_matches_its_documented_body(client: TestClient) -> None:
    response = client.get(f"/orders/{2**62}")
    assert response.status_code == 404
    _validates(client, _response_schema(client, "get", "/orders/{order_id}", 404), response.json())


def test_health_answers_match_their_documented_body(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 503  # the engine is unreachable and no worker runs
    assert "engine" in response.json()["down"]
    _validates(client, _response_schema(client, "get", "/health", 503), response.json())
    assert _response_schema(client, "get", "/health", 200) == _response_schema(client, "get", "/health", 503)


def test_every_route_of_a_named_thing_documents_its_404() -> None:
    """Found by the fuzzer: the dashboard's panel, list and file routes answered an undocumented 404."""
    doc = create_app(make_settings("postgresql://unused/unused", "http://unused")).openapi()
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        if "{" in path and path != "/calendar/{year}"  # every year in range has a calendar: never a 404
        for method, operation in item.items()
        if "404" not in operation.get("responses", {})
    ]
    assert undocumented == []
