"""The property-based API fuzzer: schemathesis walks doorflow's OpenAPI document against a real uvicorn.

Every operation of the document gets requests generated from its schema, valid ones (positive) and ones
that break it (negative), derandomized (the same requests every run) and without a Hypothesis database.
Each answer is checked: no server error (a 503 only where the operation documents it), a documented
status code, a documented content type, a body that matches the documented schema. The test fails with
one entry per distinct finding (operation, check, the request as curl, the response).

The API runs as ``uvicorn api.main:app`` on loopback, on the session's real engine and on a database of
its own on the session's PostgreSQL server (seeded with an order, a ticket, an installment and a purchase
order so that small ids and the seeded numbers reach past the 404s). The engine's instances the fuzzer
starts are deleted at the end; with no workers running none of them moves.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from doorflow import stack
from doorflow.store import create_database, migrate
from models.collection import service as collection
from models.collection.schemas import ScheduleItem
from models.collection.tables import InstallmentKind
from models.db import make_engine, make_sessionmaker, unit_of_work
from models.production.tables import Material, PurchaseOrder, PurchaseStatus, Supplier
from tests.api_auth import api_credentials
from tests.conftest import LiveEngine, order_payload
from tests.days import factory_day

# The budget: examples per operation and generation mode, fewer where a valid request starts a process
# instance on the engine; and a wall-clock ceiling after which no further request is sent.
MAX_EXAMPLES = 30
STARTS_A_PROCESS = {"POST /orders": 8, "POST /tickets": 8}
KNOWN_KEYS_EXAMPLES = 20  # a second positive pass with the path parameters set to seeded rows
BUDGET_S = 120.0
ENGINE_DOWN_BUDGET_S = 45.0
UNREACHABLE_ENGINE = "http://127.0.0.1:9"  # the discard port: nothing answers
REQUEST_TIMEOUT_S = 30.0
FUZZ_DATABASE = "doorflow_fuzz"

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)


@dataclass
class ServedApi:
    base_url: str
    log: Path
    db_url: str


@dataclass
class Seeded:
    """Rows the generated requests can reach by their keys (path parameters by name)."""

    path_values: dict[str, dict[str, Any]]


@dataclass
class Finding:
    operation: str
    check: str
    request: str
    response: str
    count: int = 1


@dataclass
class FuzzRun:
    base_url: str
    session: requests.Session
    deadline: float
    requests_sent: int = 0
    cut_by_budget: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    per_operation: Counter[str] = field(default_factory=Counter)
    findings: dict[tuple[str, str, str], Finding] = field(default_factory=dict)

    def send(self, case: Case[Any]) -> None:
        if time.monotonic() > self.deadline:
            self.cut_by_budget += 1
            return
        label = case.operation.label
        try:
            response = case.call(base_url=self.base_url, session=self.session, timeout=REQUEST_TIMEOUT_S)
        except requests.RequestException as exc:
            self._record(label, "no answer", type(exc).__name__, _describe_case(case), f"no response: {exc}")
            return
        self.requests_sent += 1
        self.per_operation[label] += 1
        self.statuses[response.status_code] += 1
        checks = list(CHECKS)
        if response.status_code == 503 and "503" in case.operation.responses.status_codes:
            checks.remove(not_a_server_error)  # the documented "engine/part down" answer, not a crash
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                self._failure(case, response, failure)
        except Failure as failure:
            self._failure(case, response, failure)

    def _failure(self, case: Case[Any], response: schemathesis.Response, failure: Failure) -> None:
        request = _describe_case(case, response)
        body = response.content.decode("utf-8", "replace")
        answer = f"{response.status_code} {response.headers.get('content-type', ['-'])[0]}\n{_cut(body)}"
        self._record(case.operation.label, failure.title, failure.message, request, answer)

    def _record(self, label: str, title: str, message: str, request: str, response: str) -> None:
        # One entry per operation, kind of failure and message head: the first example is kept.
        key = (label, title, message.splitlines()[0] if message else "")
        if key in self.findings:
            self.findings[key].count += 1
        else:
            self.findings[key] = Finding(label, f"{title}: {_cut(message, 600)}", request, response)

    def report(self) -> str:
        lines = [f"{len(self.findings)} distinct finding(s) in {self.requests_sent} requests:"]
        for n, f in enumerate(self.findings.values(), 1):
            lines += [
                "",
                f"#{n} {f.operation} ({f.count}x)",
                f"  check:    {_indent(f.check)}",
                f"  request:  {_indent(f.request)}",
                f"  response: {_indent(f.response)}",
            ]
        return "\n".join(lines)


def _cut(value: str, limit: int = 800) -> str:
    return value if len(value) <= limit else value[:limit] + f"… ({len(value)} chars)"


def _indent(value: str) -> str:
    return value.replace("\n", "\n            ")


def _describe_case(case: Case[Any], response: schemathesis.Response | None = None) -> str:
    headers = dict(response.request.headers) if response is not None else None
    curl = case.as_curl_command(headers=headers)
    # The credentials are the test's own: not repeated in the report.
    return _cut(curl.replace(str(headers.get("Authorization", "")) if headers else "\0", "<credentials>"), 1500)


# --- the served API and its own database --------------------------------------------------------------


@contextmanager
def _serve(db_url: str, engine_url: str, log_dir: Path) -> Iterator[ServedApi]:
    """``uvicorn api.main:app`` on a free loopback port, as ``./dev run`` starts it."""
    port = stack.free_port()
    child = stack.start_api(stack.child_env(db_url, engine_url, api_port=port), port, log_dir)
    base = f"http://127.0.0.1:{port}"
    try:
        stack.wait_http(f"{base}/health/live", 60, child)
        yield ServedApi(base, child.log, db_url)
    finally:
        child.stop()


@pytest.fixture(scope="module")
def fuzz_db(db_url: str, live_engine: LiveEngine) -> Iterator[str]:
    """The fuzzer's own database on the session's server; the instances its API started go at the end."""
    url = create_database(db_url, FUZZ_DATABASE)
    migrate(url)
    try:
        yield url
    finally:
        _delete_started_instances(url, live_engine)


@pytest.fixture(scope="module")
def served_api(fuzz_db: str, live_engine: LiveEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApi]:
    with _serve(fuzz_db, live_engine.cfg.url, tmp_path_factory.mktemp("fuzz-api")) as served:
        yield served


@pytest.fixture(autouse=True)
def hypothesis_home(tmp_path: Path) -> Iterator[None]:
    """Hypothesis keeps its files (a constants cache) under the test's temporary folder, not in the repository."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    try:
        yield
    finally:
        set_hypothesis_home_dir(None)


def _delete_started_instances(fuzz_db: str, live_engine: LiveEngine) -> None:
    """Every instance the fuzzer's API started (its database is its own): removed from the shared engine."""
    db = make_engine(fuzz_db)
    try:
        with db.connect() as conn:
            ids = conn.execute(
                text(
                    "select process_instance_id from orders where process_instance_id is not null union "
                    "select process_instance_id from service_tickets where process_instance_id is not null"
                )
            ).scalars()
            for pid in ids:
                live_engine.client.call(
                    "DELETE",
                    f"/process-instance/{pid}",
                    params={"skipCustomListeners": "true", "skipSubprocesses": "false", "failIfNotExists": "false"},
                )
    finally:
        db.dispose()


def _seed(api: ServedApi, session: requests.Session) -> Seeded:
    """An order and a ticket through the API, an installment and a purchase order in the store."""
    order_body: Any = order_payload(customer_name="模糊测试客户")
    order = session.post(f"{api.base_url}/orders", json=order_body, timeout=60)
    assert order.status_code == 201, order.text
    ticket = session.post(
        f"{api.base_url}/tickets",
        json={
            "customer_name": "模糊测试客户",
            "product_model": "FM-甲级-1021",
            "problem_type": "lock_hardware",
            "problem_description": "门锁反锁后无法打开",
            "channel": "hotline",
            "severity": "high",
            "urgency": "high",
        },
        timeout=60,
    )
    assert ticket.status_code == 201, ticket.text
    order_id, order_number = order.json()["id"], order.json()["order_number"]
    db = make_engine(api.db_url)
    try:
        sessions = make_sessionmaker(db)
        with unit_of_work(sessions) as s:
            collection.register_installments(
                s,
                order_id=order_id,
                order_number=order_number,
                schedule=[
                    ScheduleItem(kind=InstallmentKind.DEPOSIT, amount=Decimal("3000.00"), due_date=date(2099, 1, 10))
                ],
                contract_number=None,
                customer_name="模糊测试客户",
                customer_email=None,
                actor="test",
            )
            installment_id = collection.list_installments(s, order_id=order_id)[0].id
            tag = uuid.uuid4().hex[:8].upper()
            material = Material(code=f"FUZZ-{tag}", name="测试门锁", unit="只", on_hand=Decimal("0"))
            supplier = Supplier(
                name=f"模糊测试供应商{tag}",
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
                number=f"PO-FUZZ-{tag}",
                order_id=order_id,
                material_id=material.id,
                supplier_id=supplier.id,
                quantity=Decimal("4"),
                status=PurchaseStatus.ORDERED,
            )
            s.add(po)
            po_number = po.number
    finally:
        db.dispose()
    by_name: dict[str, Any] = {
        "order_id": order_id,
        "installment_id": installment_id,
        "customer_name": "模糊测试客户",
        "year": factory_day().year,
    }
    path_values = {
        "/purchase-orders/{number}/receipt": {"number": po_number},
        "/tickets/{number}": {"number": ticket.json()["ticket_number"]},
        "/tickets/{number}/feedback": {"number": ticket.json()["ticket_number"]},
    }
    return Seeded({**{"*": by_name}, **path_values})


def _known_path_values(seeded: Seeded, path: str, names: set[str]) -> dict[str, Any] | None:
    values = seeded.path_values.get(path) or {n: v for n, v in seeded.path_values["*"].items() if n in names}
    return values if values and set(values) == names else None


def _explore(run: FuzzRun, strategy: Any, max_examples: int) -> None:
    @hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,  # the same requests every run
        database=None,  # nothing written into the repository
        deadline=None,
        phases=[Phase.generate],  # findings are collected, not raised: nothing to shrink
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hypothesis.given(case=strategy)
    def explore(case: Case[Any]) -> None:
        run.send(case)

    with suppress(Unsatisfiable):  # no request of this mode exists (e.g. negative data without any input)
        explore()


@dataclass
class Plan:
    """How much of each kind of request an operation gets."""

    max_examples: int
    coverage: bool
    known_keys_examples: int


FULL = Plan(max_examples=MAX_EXAMPLES, coverage=True, known_keys_examples=KNOWN_KEYS_EXAMPLES)
# With the engine unreachable: only valid requests (they are the ones that get as far as the engine).
ENGINE_DOWN = Plan(max_examples=12, coverage=False, known_keys_examples=12)


def _valid(result: Ok[APIOperation[Any, Any, Any, Any]] | Err[InvalidSchema]) -> APIOperation[Any, Any, Any, Any]:
    if isinstance(result, Err):
        raise result.err()  # the document itself is broken: no operation of it can be trusted
    return result.ok()


def fuzz(api: ServedApi, http: requests.Session, seeded: Seeded, plan: Plan, budget_s: float) -> tuple[FuzzRun, str]:
    schema = schemathesis.openapi.from_url(f"{api.base_url}/openapi.json", auth=api_credentials())
    started = time.monotonic()
    run = FuzzRun(api.base_url, http, deadline=started + budget_s)
    operations = [_valid(result) for result in schema.get_all_operations()]
    for operation in operations:
        label = operation.label
        if plan.coverage:
            # Boundary and just-beyond values of every parameter, deterministic by nature. Valid requests
            # that would start a process come from the capped fuzzing below, not from here.
            modes = [GenerationMode.NEGATIVE] if label in STARTS_A_PROCESS else list(GenerationMode)
            generation = schema.config.generation_for(operation=operation, phase="coverage")
            for case in schema.iter_coverage_cases(operation, generation_modes=modes, generation_config=generation):
                run.send(case)
        budget = min(STARTS_A_PROCESS.get(label, plan.max_examples), plan.max_examples)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if plan.coverage else (GenerationMode.POSITIVE,):
            _explore(run, operation.as_strategy(generation_mode=mode), budget)
        names = {p.name for p in operation.path_parameters}
        known = _known_path_values(seeded, operation.path, names) if names else None
        if known is not None and label not in STARTS_A_PROCESS:
            strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=known)
            _explore(run, strategy, plan.known_keys_examples)
    summary = (
        f"fuzzed {len(operations)} operations with {run.requests_sent} requests in {time.monotonic() - started:.1f} s "
        f"(budget {budget_s:.0f} s, {run.cut_by_budget} cases not sent for the budget); "
        f"statuses {dict(sorted(run.statuses.items()))}"
    )
    print(summary)
    print(json.dumps(dict(run.per_operation), ensure_ascii=False))
    assert len(operations) >= 30, summary
    return run, summary


@pytest.fixture(scope="module")
def seeded(served_api: ServedApi) -> Seeded:
    http = requests.Session()
    http.auth = api_credentials()
    return _seed(served_api, http)


def _http() -> requests.Session:
    http = requests.Session()
    http.auth = api_credentials()
    return http


@pytest.mark.engine
def test_the_api_answers_every_generated_request_as_documented(served_api: ServedApi, seeded: Seeded) -> None:
    run, summary = fuzz(served_api, _http(), seeded, FULL, BUDGET_S)
    assert run.requests_sent >= 30 * len(run.per_operation), summary
    assert run.statuses[201] > 0 and run.statuses[200] > 0, summary  # the seeded rows were reached
    assert not run.findings, f"{summary}\n\n{run.report()}\n\nserver log: {served_api.log}"


@pytest.mark.engine
def test_with_the_engine_down_only_documented_503s(
    fuzz_db: str, seeded: Seeded, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same API and database, the engine unreachable: a route that needs it says 503 where it documents it."""
    with _serve(fuzz_db, UNREACHABLE_ENGINE, tmp_path_factory.mktemp("fuzz-api-engine-down")) as api:
        run, summary = fuzz(api, _http(), seeded, ENGINE_DOWN, ENGINE_DOWN_BUDGET_S)
        assert run.statuses[503] > 0, summary  # some requests did get as far as the engine
        assert not run.findings, f"{summary}\n\n{run.report()}\n\nserver log: {api.log}"
