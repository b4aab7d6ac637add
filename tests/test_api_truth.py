"""The API tells the truth about its protocol: a 2xx means committed, creation is idempotent, OPTIONS and
405 name the methods that exist, and every per-order route of an unknown order is a 404."""

from __future__ import annotations

import importlib
import json
import pkgutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import api.routes
from api.deps import transaction
from api.main import create_app
from models.collection import service as collection
from models.collection.schemas import ScheduleItem
from models.collection.tables import InstallmentKind
from models.db import unit_of_work
from models.orders.schemas import OrderIn
from models.orders.service import OrderLimits, create_order
from models.production.tables import Material, PurchaseOrder, PurchaseStatus, Supplier
from tests.conftest import LiveEngine, make_settings, order_payload

# --- fixtures and seeds -------------------------------------------------------------------------------

# What the probe looks up on its own connection when a creation route hands its answer to the server.
Visible = Callable[[Any], bool]


@dataclass
class Seen:
    status: int
    open_transactions: int  # other connections of the database still inside a transaction at response start
    visible: bool | None  # the created row, read on a separate connection, when the body went out


@dataclass
class CommitProbe:
    """ASGI wrapper that looks at the database from outside at the moment the answer leaves the app.

    Starlette's TestClient waits for the whole ASGI call, so a commit that runs after the response was sent
    looks fine to a later request. This probe runs its checks while the server is being handed the answer,
    on a connection of its own: there the created row must already be visible and no request transaction
    may still be open.
    """

    app: ASGIApp
    db: Engine
    seen: list[Seen] = field(default_factory=list)
    expect: Visible | None = None

    def _open_transactions(self) -> int:
        with self.db.connect() as conn:
            count = conn.execute(
                text(
                    "select count(*) from pg_stat_activity where datname = current_database()"
                    " and pid <> pg_backend_pid() and xact_start is not null"
                )
            ).scalar_one()
        return int(count)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        open_at_start = 0
        body = b""

        async def probed(message: Message) -> None:
            nonlocal status, open_at_start, body
            if message["type"] == "http.response.start":
                status = message["status"]
                open_at_start = self._open_transactions()
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    visible = None
                    if self.expect is not None and 200 <= status < 300:
                        visible = self.expect(json.loads(body))
                    self.seen.append(Seen(status, open_at_start, visible))
            await send(message)

        await self.app(scope, receive, probed)


@dataclass
class Probed:
    client: TestClient
    probe: CommitProbe
    app: FastAPI


@pytest.fixture
def probed(db_url: str, db: Engine, live_engine: LiveEngine) -> Iterator[Probed]:
    app = create_app(make_settings(db_url, live_engine.cfg.url))
    probe = CommitProbe(app, db)
    with TestClient(probe) as client:
        yield Probed(client, probe, app)


def _exists(db: Engine, sql: str, **params: object) -> bool:
    with db.connect() as conn:
        return bool(conn.execute(text(f"select exists({sql})"), params).scalar_one())


def _stored_order(sessions: sessionmaker[Session], customer: str) -> int:
    """An order stored through its service without a process (for routes that need only the row)."""
    with unit_of_work(sessions) as s:
        order = create_order(
            s,
            OrderIn.model_validate(order_payload(customer_name=customer)),
            lambda _variables: None,  # type: ignore[arg-type,return-value]
            limits=OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500),
            actor="test",
        )
        return order.id


def _installment(sessions: sessionmaker[Session], customer: str) -> int:
    order_id = _stored_order(sessions, customer)
    with unit_of_work(sessions) as s:
        number = s.execute(text("select order_number from orders where id = :id"), {"id": order_id}).scalar_one()
        collection.register_installments(
            s,
            order_id=order_id,
            order_number=number,
            schedule=[ScheduleItem(kind=InstallmentKind.DEPOSIT, amount=Decimal("3000.00"), due_date=date(2099, 1, 10))],
            contract_number=None,
            customer_name=customer,
            customer_email=None,
            actor="test",
        )
        return collection.list_installments(s, order_id=order_id)[0].id


def _purchase_order(sessions: sessionmaker[Session], customer: str) -> str:
    order_id = _stored_order(sessions, customer)
    tag = uuid.uuid4().hex[:8].upper()
    with unit_of_work(sessions) as s:
        material = Material(code=f"TRUTH-{tag}", name="测试门锁", unit="只", on_hand=Decimal("0"))
        supplier = Supplier(
            name=f"测试锁具供应商{tag}",
            qualification_class="A",
            quality_score=Decimal("90"),
            lead_time_score=Decimal("90"),
            price_score=Decimal("90"),
            service_score=Decimal("90"),
            materials=[material.code],
        )
        s.add_all([material, supplier])
        s.flush()
        po = PurchaseOrder(
            number=f"PO-TRUTH-{tag}",
            order_id=order_id,
            material_id=material.id,
            supplier_id=supplier.id,
            quantity=Decimal("4"),
            status=PurchaseStatus.ORDERED,
        )
        s.add(po)
        return po.number


def ticket_payload(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "customer_name": "宁波测试业主",
        "product_model": "钢质安全门 A1",
        "problem_type": "lock_hardware",
        "problem_description": "门锁反锁后无法打开",
        "channel": "hotline",
        "severity": "high",
        "urgency": "high",
    }
    body.update(overrides)
    return body


def change_payload(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"description": "第二行改为右内开", "requested_by": "张先生"}
    body.update(overrides)
    return body


def _operations(app: FastAPI) -> dict[str, dict[str, Any]]:
    """Every operation of the OpenAPI document by "METHOD /path/{param}" (the public list of what exists)."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    }


def _creation_routes(app: FastAPI) -> set[str]:
    return {name for name, operation in _operations(app).items() if "201" in operation["responses"]}


def _api_routes(app: FastAPI) -> list[APIRoute]:
    """The app's own routes and those of every router module in api/routes (included routers are not flat)."""
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    for info in pkgutil.iter_modules(api.routes.__path__):
        module = importlib.import_module(f"api.routes.{info.name}")
        routes.extend(r for r in module.router.routes if isinstance(r, APIRoute))
    return routes


# --- a 2xx means committed ----------------------------------------------------------------------------


def test_every_creation_route_has_committed_before_it_answers(
    probed: Probed, db: Engine, sessions: sessionmaker[Session]
) -> None:
    """Each creation route, read back on another connection the moment its answer goes out, then over the API."""
    client, probe = probed.client, probed.probe
    covered: set[str] = set()

    def create(route: str, path: str, body: dict[str, Any], visible: Visible) -> dict[str, Any]:
        covered.add(route)
        probe.seen.clear()
        probe.expect = visible
        answer = client.post(path, json=body)
        probe.expect = None
        assert answer.status_code == 201, answer.text
        assert probe.seen == [Seen(201, 0, True)], f"{route}: answered before its commit ({probe.seen})"
        result: dict[str, Any] = answer.json()
        return result

    order = create(
        "POST /orders",
        "/orders",
        order_payload(customer_name="提交可见测试有限公司"),
        lambda b: _exists(db, "select 1 from orders where id = :id", id=b["id"]),
    )
    assert client.get(f"/orders/{order['id']}").status_code == 200

    ticket = create(
        "POST /tickets",
        "/tickets",
        ticket_payload(),
        lambda b: _exists(db, "select 1 from service_tickets where ticket_number = :n", n=b["ticket_number"]),
    )
    assert client.get(f"/tickets/{ticket['ticket_number']}").status_code == 200

    change = create(
        "POST /orders/{order_id}/change-requests",
        f"/orders/{order['id']}/change-requests",
        change_payload(),
        lambda b: _exists(db, "select 1 from change_requests where id = :id", id=b["id"]),
    )
    assert client.get(f"/change-requests/{change['id']}").status_code == 200

    installment_id = _installment(sessions, "提交可见收款测试有限公司")
    payment = create(
        "POST /installments/{installment_id}/payments",
        f"/installments/{installment_id}/payments",
        {"amount": "1000.00", "external_reference": f"BANK-{uuid.uuid4().hex}", "paid_on": date.today().isoformat()},
        lambda b: _exists(db, "select 1 from payments where id = :id", id=b["payment"]["id"]),
    )
    paid = client.get(f"/installments/{installment_id}").json()
    assert [p["id"] for p in paid["payments"]] == [payment["payment"]["id"]]

    number = _purchase_order(sessions, "提交可见采购测试有限公司")
    receipt = create(
        "POST /purchase-orders/{number}/receipt",
        f"/purchase-orders/{number}/receipt",
        {"quantity": "4", "received_by": "仓库 李四"},
        lambda b: _exists(db, "select 1 from goods_receipts where id = :id", id=b["id"]),
    )
    assert receipt["purchase_order_number"] == number

    assert covered == _creation_routes(probed.app), "every creation route is read back right after its answer"


def _app() -> FastAPI:
    """The application's routes only: nothing is started, nothing connected."""
    return create_app(make_settings("postgresql://unused/unused", "http://unused"))


def test_every_route_with_a_transaction_commits_before_its_answer_starts() -> None:
    """The request's transaction must end before the response: no route may hold it past its function."""
    late: list[str] = []
    routes = _api_routes(_app())
    assert len(routes) == len(_operations(_app())), "every operation of the API is looked at"
    for route in routes:
        stack = list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            stack.extend(dep.dependencies)
            if dep.call is transaction and dep.scope != "function":
                late.append(f"{sorted(route.methods)} {route.path}")
    assert late == []
