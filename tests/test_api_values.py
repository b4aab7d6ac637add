"""Every input value checked: never a 500 for bad input, money as decimal strings, the factory's day.

The fuzzing tests walk the OpenAPI document, so a new route or field is covered without a new test:
a NUL byte (and a lone UTF-16 surrogate, which is not UTF-8) in every text field, path and query
parameter, integers beyond 64 and 32 bits, unknown enum values in filters. None may reach
PostgreSQL: each is a 422 that names the field.
"""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow.settings import ROOT, Settings
from models import clock
from models.aftersales.tables import Priority
from models.clock import factory_today
from models.collection.tables import Installment, InstallmentKind, InstallmentStatus
from models.contracts.tables import Contract, ContractStatus
from models.orders.tables import Order, OrderStatus
from models.types import BIGINT_MAX, DECIMAL_PATTERN, INT32_MAX
from tests.conftest import LiveEngine, authed, make_settings, order_payload, verified

ZONE = str(Settings.model_fields["factory_timezone"].default)
JSON = {"Content-Type": "application/json"}
UNREACHABLE_ENGINE = "http://127.0.0.1:9"  # the discard port: a request that gets this far answers 503

NUL = "a\x00b"
SURROGATE = "a\ud800b"  # JSON can carry it ("\\ud800"); UTF-8 (and so PostgreSQL) cannot
BAD_TEXT = (NUL, SURROGATE)
BAD_SEGMENT = (NUL, "a\x1fb")  # a URL carries UTF-8 only, so no surrogate: a NUL, a control character
HUGE = (2**64, BIGINT_MAX + 1)  # beyond PostgreSQL bigint: every id, every integer
WIDE = INT32_MAX + 1  # beyond PostgreSQL integer: every integer a body carries (sizes, counts, line numbers)

# 2026-12-31 16:30 UTC is already 2027-01-01 00:30 in Shanghai: the host's UTC date and the factory's differ.
EVENING_UTC = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)


@pytest.fixture
def client(db_url: str, live_engine: LiveEngine) -> Iterator[TestClient]:
    """The API on the test database; its engine is unreachable, so nothing here can start a process (the caller's
    login was verified with the live engine before)."""
    app = create_app(make_settings(db_url, UNREACHABLE_ENGINE), verified(live_engine))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield authed(c)


def pin_clock(monkeypatch: pytest.MonkeyPatch, instant: datetime) -> None:
    """Move the one clock source of the business day (the host's clock and the engine stay as they are)."""
    monkeypatch.setattr(clock, "now", lambda: instant)


# --- the OpenAPI document, walked -----------------------------------------------------------------


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    if "anyOf" in schema:  # Optional[X]: X
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        merged = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**_resolve(options[0], spec), **merged}
    return schema


def _sample(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value the schema accepts (every optional property filled, so each field can be fuzzed)."""
    schema = _resolve(schema, spec)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: _sample(sub, spec) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_sample(schema["items"], spec)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), int(schema.get("exclusiveMinimum", 0)) + 1)
    if kind == "boolean":
        return True
    if kind == "number":
        return 1
    assert kind == "string", schema
    if schema.get("format") == "date":
        return "2099-06-30"
    if schema.get("format") == "date-time":
        return "2099-06-30T08:00:00+08:00"
    if schema.get("pattern") == DECIMAL_PATTERN:
        return "1.00"
    if "@" in schema.get("pattern", ""):
        return "caiwu@example.cn"
    return "x" * max(1, int(schema.get("minLength", 1)))


def _leaves(schema: dict[str, Any], spec: dict[str, Any], path: tuple[str | int, ...] = ()) -> Iterator[Any]:
    """(path, schema) of every scalar field of a request body."""
    schema = _resolve(schema, spec)
    if schema.get("type") == "object":
        for name, sub in schema.get("properties", {}).items():
            yield from _leaves(sub, spec, (*path, name))
    elif schema.get("type") == "array":
        yield from _leaves(schema["items"], spec, (*path, 0))
    else:
        yield path, schema


def _set(body: Any, path: tuple[str | int, ...], value: Any) -> Any:
    body = deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def _bad_values(schema: dict[str, Any]) -> list[Any]:
    """What a body field must refuse: control characters in text, integers too wide, numbers for money."""
    if schema.get("type") == "integer":
        return [*HUGE, WIDE]  # every integer of a body is stored in a 32-bit column
    if schema.get("type") != "string" or "enum" in schema or "format" in schema:
        return []
    if schema.get("pattern") == DECIMAL_PATTERN:
        return [5000.5, 5000]  # a JSON number, even a whole one
    if "@" in schema.get("pattern", ""):  # an e-mail address: the pattern alone would let a NUL through
        return ["ca\x00iwu@example.cn", "ca\ud800iwu@example.cn"]
    return list(BAD_TEXT)


def operations(client: TestClient) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    spec: dict[str, Any] = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield method, path, op, spec


def _params(op: dict[str, Any], spec: dict[str, Any], where: str) -> list[tuple[str, dict[str, Any]]]:
    return [(p["name"], _resolve(p["schema"], spec)) for p in op.get("parameters", []) if p["in"] == where]


def _url(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def _base(op: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any] | None]:
    path_values = {name: str(_sample(schema, spec)) for name, schema in _params(op, spec, "path")}
    body = None
    if "requestBody" in op:
        body = _sample(op["requestBody"]["content"]["application/json"]["schema"], spec)
    return path_values, body


def _send(
    client: TestClient, method: str, url: str, body: Any, params: dict[str, Any] | None = None
) -> tuple[int, Any]:
    # As JSON with ASCII escapes: "\\ud800" is valid JSON, though its character has no UTF-8 encoding.
    content = None if body is None else json.dumps(body)
    response = client.request(method.upper(), url, content=content, params=params, headers=JSON)
    assert response.status_code != 500, f"{method.upper()} {url} {params} {body!r}: {response.text}"
    return response.status_code, response.json() if response.content else None


def _names(detail: Any, loc: list[Any]) -> bool:
    """Does a 422 detail have an entry whose location starts with ``loc``?"""
    return isinstance(detail, dict) and any(e["loc"][: len(loc)] == loc for e in detail["detail"])


# --- item 1: never a 500 for bad input --------------------------------------------------------------


def test_the_fuzzer_sees_every_kind_of_input(client: TestClient) -> None:
    """The walk below is not vacuous: the document has text and integer path, query and body inputs."""
    kinds: set[tuple[str, str]] = set()
    for _method, _path, op, spec in operations(client):
        for where in ("path", "query"):
            kinds |= {(where, str(s.get("type"))) for _n, s in _params(op, spec, where)}
        if "requestBody" in op:
            body_schema = op["requestBody"]["content"]["application/json"]["schema"]
            kinds |= {("body", str(s.get("type"))) for _p, s in _leaves(body_schema, spec)}
    assert {("path", "string"), ("path", "integer"), ("query", "integer"), ("query", "string")} <= kinds
    assert {("body", "string"), ("body", "integer")} <= kinds


def test_bad_path_and_query_values_are_422_naming_the_parameter(client: TestClient) -> None:
    tried = 0
    for method, path, op, spec in operations(client):
        base_path, body = _base(op, spec)
        for name, schema in _params(op, spec, "path"):
            bad: list[Any] = list(BAD_SEGMENT) if schema.get("type") == "string" else list(HUGE)
            for value in bad:
                url = _url(path, {**base_path, name: quote(str(value), safe="")})
                status, detail = _send(client, method, url, body)
                assert status == 422 and _names(detail, ["path", name]), (method, path, name, value, detail)
                tried += 1
            if schema.get("type") == "integer":  # a valid id beyond 32 bits is looked up, never a 500
                _send(client, method, _url(path, {**base_path, name: str(WIDE)}), body)
        for name, schema in _params(op, spec, "query"):
            if schema.get("type") == "integer":
                bad = list(HUGE)
            elif "enum" in schema:
                bad = ["P9", "no-such-value"]
            elif schema.get("format") == "date":
                bad = ["2027-02-30", NUL]
            else:
                bad = list(BAD_SEGMENT)
            for value in bad:
                status, detail = _send(client, method, _url(path, base_path), body, params={name: value})
                assert status == 422 and _names(detail, ["query", name]), (method, path, name, value, detail)
                tried += 1
    assert tried >= 40


def test_bad_body_values_are_422_naming_the_field(client: TestClient) -> None:
    tried = 0
    for method, path, op, spec in operations(client):
        if "requestBody" not in op:
            continue
        base_path, body = _base(op, spec)
        url = _url(path, base_path)
        for field, schema in _leaves(op["requestBody"]["content"]["application/json"]["schema"], spec):
            for value in _bad_values(schema):
                status, detail = _send(client, method, url, _set(body, field, value))
                assert status == 422 and _names(detail, ["body", *field]), (method, path, field, value, detail)
                tried += 1
    assert tried >= 60


def test_a_door_line_number_beyond_32_bits_names_the_field(client: TestClient) -> None:
    """The issue's own example, spelled out: a ticket naming door line 2**31 of an order."""
    body = {
        "customer_name": "杭州绿城物业有限公司",
        "order_number": "DO20261201-00001",
        "door_line_no": 2**31,
        "product_model": "FM-甲级-1021",
        "problem_type": "lock_hardware",
        "problem_description": "锁芯卡死",
        "channel": "hotline",
        "severity": "high",
        "urgency": "high",
    }
    response = client.post("/tickets", json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "door_line_no"]


def test_control_characters_in_one_line_fields_but_line_breaks_in_free_text(client: TestClient) -> None:
    """A name is one line; a description may span lines (and keep its tabs)."""
    bad = client.post("/orders", json=order_payload(customer_name="杭州\n绿城"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "customer_name"]
    # Free text with line breaks passes validation: the request gets as far as the (unreachable) engine.
    ok = client.post("/orders", json=order_payload(notes="第一行\n\t第二行", requested_delivery_date="2099-06-30"))
    assert ok.status_code == 503, ok.text


# --- item 2: amounts are decimal strings ----------------------------------------------------------

MONEY_NAME = re.compile(r"(amount|price|percent|delta|balance|total|quantity)$")
# Whole numbers by nature (numbers of doors, a stage's progress in whole percent), not amounts.
WHOLE_NUMBERS = {
    ("DoorLineIn", "quantity"),
    ("DoorLineOut", "quantity"),
    ("LineChangeIn", "quantity"),
    ("StageOut", "progress_percent"),
}


def test_openapi_shows_every_amount_as_a_decimal_string(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    seen = 0
    for model, schema in spec["components"]["schemas"].items():
        for name, prop in schema.get("properties", {}).items():
            if not MONEY_NAME.search(name) or (model.removesuffix("-Input").removesuffix("-Output"), name) in (
                WHOLE_NUMBERS
            ):
                continue
            resolved = _resolve(prop, spec)
            assert resolved.get("type") == "string", (model, name, prop)
            assert resolved.get("pattern") == DECIMAL_PATTERN, (model, name, prop)
            seen += 1
    assert seen >= 15


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/orders", order_payload(requested_discount_percent=5), ["body", "requested_discount_percent"]),
        ("/orders", order_payload(lines=[{**order_payload()["lines"][0], "unit_price": 2380.1}]), None),  # type: ignore[index]
        ("/orders/1/change-requests", {"description": "加价", "requested_by": "客户", "price_delta": 10.5}, None),
        ("/purchase-orders/PO1/receipt", {"quantity": 3, "received_by": "仓库 李师傅"}, ["body", "quantity"]),
        (
            "/installments/1/payments",
            {"amount": 5000.0, "external_reference": "BANK-1", "paid_on": "2026-12-01"},
            ["body", "amount"],
        ),
    ],
)
def test_a_json_number_for_money_is_refused(
    client: TestClient, path: str, body: dict[str, Any], field: list[Any] | None
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    messages = [e["msg"] for e in errors if "decimal string" in e["msg"]]
    assert messages and all("not a JSON number" in m for m in messages), errors
    if field is not None:
        assert any(e["loc"] == field for e in errors), errors


@pytest.mark.parametrize("text", ["1e3", "NaN", "Infinity", " 5.00", "5,00", "¥5.00"])
def test_only_plain_decimal_strings_are_money(client: TestClient, text: str) -> None:
    body = {"amount": text, "external_reference": "BANK-1", "paid_on": "2026-12-01"}
    response = client.post("/installments/1/payments", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "amount"]


# --- item 3: payment value dates ------------------------------------------------------------------


def _installment(sessions: sessionmaker[Session], signed_on: date | None) -> int:
    """An order (received now) with a contract and one open installment of 1000.00."""
    tag = uuid.uuid4().hex[:8]
    with sessions() as s, s.begin():
        order = Order(
            order_number=f"DO20261201-V{tag}",
            customer_name=f"值日期测试客户-{tag}",
            delivery_address="浙江省杭州市",
            requested_delivery_date=date(2099, 6, 30),
            status=OrderStatus.SIGNED,
        )
        s.add(order)
        s.flush()
        s.add(
            Contract(
                order_id=order.id,
                contract_number=f"HT-V{tag}",
                status=ContractStatus.SIGNED if signed_on else ContractStatus.APPROVED,
                total_amount=Decimal("1000.00"),
                delivery_date=date(2099, 6, 30),
                signed_on=signed_on,
                signed_by="张经理" if signed_on else None,
            )
        )
        inst = Installment(
            order_id=order.id,
            order_number=order.order_number,
            contract_number=f"HT-V{tag}",
            customer_name=order.customer_name,
            seq=1,
            kind=InstallmentKind.FINAL,
            amount=Decimal("1000.00"),
            paid_amount=Decimal("0.00"),
            due_date=date(2099, 7, 30),
            status=InstallmentStatus.OPEN,
        )
        s.add(inst)
        s.flush()
        return inst.id


def _pay(client: TestClient, installment_id: int, paid_on: date) -> Any:
    body = {"amount": "100.00", "external_reference": f"BANK-{uuid.uuid4().hex}", "paid_on": paid_on.isoformat()}
    return client.post(f"/installments/{installment_id}/payments", json=body)


def test_a_value_date_after_the_factory_s_today_is_refused(
    client: TestClient, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    later = datetime.now(UTC) + timedelta(days=400)
    instant = datetime(later.year, later.month, later.day, 16, 30, tzinfo=UTC)  # Shanghai is a day ahead
    pinned_day = instant.date() + timedelta(days=1)
    signed = factory_today(ZONE)  # before the clock is pinned ahead
    pin_clock(monkeypatch, instant)
    inst = _installment(sessions, signed_on=signed)
    future = _pay(client, inst, pinned_day + timedelta(days=1))
    assert future.status_code == 422
    [error] = future.json()["detail"]
    assert error["loc"] == ["body", "paid_on"] and pinned_day.isoformat() in error["msg"]
    # The factory's today itself is fine, though the host's UTC date is still a day behind.
    assert _pay(client, inst, pinned_day).status_code == 201


def test_a_value_date_before_the_contract_is_refused(client: TestClient, sessions: sessionmaker[Session]) -> None:
    signed = factory_today(ZONE) - timedelta(days=3)
    inst = _installment(sessions, signed_on=signed)
    early = _pay(client, inst, signed - timedelta(days=1))
    assert early.status_code == 422
    [error] = early.json()["detail"]
    assert error["loc"] == ["body", "paid_on"] and signed.isoformat() in error["msg"]
    assert _pay(client, inst, signed).status_code == 201


def test_without_a_signing_date_the_order_s_receipt_is_the_earliest_value_date(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    inst = _installment(sessions, signed_on=None)
    received = factory_today(ZONE)
    early = _pay(client, inst, received - timedelta(days=1))
    assert early.status_code == 422 and early.json()["detail"][0]["loc"] == ["body", "paid_on"]
    assert _pay(client, inst, received).status_code == 201


# --- item 4: filters with unknown values ----------------------------------------------------------


@pytest.mark.parametrize("params", [{"priority": "P9"}, {"status": "lost"}, {"priority": ""}])
def test_unknown_filter_values_are_422(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/tickets", params=params)
    assert response.status_code == 422
    [name] = params
    assert response.json()["detail"][0]["loc"] == ["query", name]


def test_known_priorities_are_the_decision_s_outputs(client: TestClient) -> None:
    """The filter's values are exactly what service-priority can give a ticket."""
    ns = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
    tree = ET.parse(ROOT / "bpmn" / "service-priority.dmn")
    outputs = [o.get("name") for o in tree.iter(f"{{{ns['dmn']}}}output")]
    column = outputs.index("priority")
    given = {
        (rule.findall("dmn:outputEntry", ns)[column].findtext("dmn:text", namespaces=ns) or "").strip('"')
        for rule in tree.iter(f"{{{ns['dmn']}}}rule")
    }
    assert given == {p.value for p in Priority}
    for priority in Priority:
        assert client.get("/tickets", params={"priority": priority.value}).status_code == 200


# --- item 5: the factory's day --------------------------------------------------------------------


def test_factory_today_is_the_factory_s_date_not_the_host_s(monkeypatch: pytest.MonkeyPatch) -> None:
    pin_clock(monkeypatch, EVENING_UTC)
    assert factory_today("Asia/Shanghai") == date(2027, 1, 1)
    assert factory_today("UTC") == date(2026, 12, 31)
    pin_clock(monkeypatch, EVENING_UTC - timedelta(hours=1))  # 23:30 in Shanghai: still the old year
    assert factory_today("Asia/Shanghai") == date(2026, 12, 31)


def test_a_delivery_date_of_the_host_s_day_is_in_the_factory_s_past(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 16:30 UTC the factory already lives in tomorrow: the host's date is yesterday for it."""
    later = datetime.now(UTC) + timedelta(days=400)
    instant = datetime(later.year, later.month, later.day, 16, 30, tzinfo=UTC)
    pin_clock(monkeypatch, instant)
    response = client.post("/orders", json=order_payload(requested_delivery_date=instant.date().isoformat()))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "requested_delivery_date"]


def test_the_collection_report_defaults_to_the_factory_s_day(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_clock(monkeypatch, EVENING_UTC)
    assert client.get("/reports/collection").json()["as_of"] == "2027-01-01"


@pytest.mark.engine
def test_numbers_carry_the_factory_s_date(
    db_url: str, live_engine: LiveEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Order and ticket numbers are dated by the factory's day (their processes are removed afterwards)."""
    pin_clock(monkeypatch, EVENING_UTC)
    app = create_app(make_settings(db_url, live_engine.cfg.url))
    started = []
    try:
        with TestClient(app) as api:
            authed(api)
            order = api.post("/orders", json=order_payload(customer_name="跨年测试客户"))
            assert order.status_code == 201, order.text
            started.append(order.json()["process_instance_id"])
            ticket = api.post(
                "/tickets",
                json={
                    "customer_name": "跨年测试客户",
                    "product_model": "FM-甲级-1021",
                    "problem_type": "other",
                    "problem_description": "跨年测试",
                    "channel": "api",
                    "severity": "low",
                    "urgency": "low",
                },
            )
            assert ticket.status_code == 201, ticket.text
            started.append(ticket.json()["process_instance_id"])
    finally:
        for pid in started:
            live_engine.client.call("DELETE", f"/process-instance/{pid}", params={"skipCustomListeners": "true"})
    assert order.json()["order_number"].startswith("DO20270101-")
    assert ticket.json()["ticket_number"].startswith("AS20270101-")
