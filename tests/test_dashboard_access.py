"""Issue 16 items 8 and 9: the dashboard answers to the role matrix, and its Excel exports hold no formulas.

Item 8: every panel, drill-down list and export is refused (403) to exactly those to whom the matrix refuses the
report it shows. The reference is the report route itself, called by the same user through the same app.
Item 9: a customer or salesperson named like a formula stays text in every export.

Real PostgreSQL, no engine: the callers are the identity file's users with their declared groups
(tests/declared_logins.py).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from api.access import Matrix
from api.dashboard.panels import LISTS, PANELS, Column
from api.dashboard.xlsx import workbook
from api.main import create_app
from doorflow import identity
from doorflow.settings import Settings
from models.db import unit_of_work
from models.orders.schemas import OrderIn
from models.orders.service import OrderLimits, create_order
from tests.conftest import order_payload
from tests.declared_logins import DeclaredLogins, user_ids

LIST_PARAMS = {"supplier": "1", "order": "1"}
FORMULAS = ('=HYPERLINK("http://x","x")', "=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1")


@pytest.fixture(scope="module")
def client(db_url: str) -> Iterator[TestClient]:
    settings = Settings(_env_file=None, database_url=db_url, engine_url="http://127.0.0.1:9/engine-rest")
    with TestClient(create_app(settings, DeclaredLogins()), raise_server_exceptions=False) as c:
        yield c


def _get(client: TestClient, user: str, url: str) -> int:
    client.auth = (user, "-")
    status: int = client.get(url).status_code
    return status


def _dashboard_urls() -> list[tuple[str, str]]:
    """(report operation, URL) of every panel, list and export."""
    urls = []
    for panel in PANELS:
        urls += [
            (panel.report, f"/dashboard/api/panels/{panel.key}"),
            (panel.report, f"/dashboard/export/{panel.key}.xlsx"),
        ]
    query = urlencode(LIST_PARAMS)
    for drill in LISTS:
        for url in (f"/dashboard/api/lists/{drill.key}", f"/dashboard/list/{drill.key}",
                    f"/dashboard/export/list/{drill.key}.xlsx"):  # fmt: skip
            urls.append((drill.report, f"{url}?{query}"))
    return urls


def test_every_panel_names_an_operation_of_the_matrix(client: TestClient) -> None:
    matrix: Matrix = client.app.state.access  # type: ignore[attr-defined]
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    shown: list[tuple[str, str]] = [(p.key, p.report) for p in PANELS] + [(d.key, d.report) for d in LISTS]
    for key, report in shown:
        method, _, path = report.partition(" ")
        assert matrix.allowed(method, path) is not None, key
        assert method.lower() in paths.get(path, {}), key
        assert "{" not in path, f"{key}: the report it shows must be callable as is (for this test)"


@pytest.mark.parametrize("user", user_ids())
def test_each_panel_list_and_export_is_refused_exactly_when_its_report_is(client: TestClient, user: str) -> None:
    """For one user: the report route's 403 or not decides every dashboard URL showing it (within @dashboard)."""
    matrix: Matrix = client.app.state.access  # type: ignore[attr-defined]
    groups = frozenset(identity.user(user)["groups"])
    opens_dashboard = matrix.permits(groups, "GET /dashboard/api/panels/{key}")
    report_refused = {report: _get(client, user, report.partition(" ")[2]) == 403 for report, _ in _dashboard_urls()}
    wrong = []
    for report, url in _dashboard_urls():
        status = _get(client, user, url)
        refused = not opens_dashboard or report_refused[report]
        if (status == 403) != refused or status >= 500:
            wrong.append(f"{url}: {status} (the report {report} is {'refused' if report_refused[report] else 'open'})")
    assert not wrong, "\n".join(wrong)
    # The page and the all-panels answer show just the panels the user may see.
    client.auth = (user, "-")
    everything = client.get("/dashboard/api/panels")
    if not opens_dashboard:
        assert everything.status_code == 403
        return
    assert everything.status_code == 200
    visible = {p.key for p in PANELS if not report_refused[p.report]}
    assert {p["key"] for p in everything.json()} == visible
    page = client.get("/dashboard").text
    for panel in PANELS:
        assert (f'data-panel="{panel.key}"' in page) == (panel.key in visible), panel.key


SEEN = (
    "/dashboard/api/panels/order-costs",
    "/dashboard/export/order-costs.xlsx",
    "/dashboard/api/lists/document-reads",
    "/dashboard/export/list/document-reads.xlsx",
    "/dashboard/api/panels/document-reads",
    "/dashboard/api/panels/collection-overview",
    "/dashboard/export/collection-ageing.xlsx",
    "/dashboard/api/panels/risk-customers",
    "/dashboard/api/panels/risk-categories",
    "/dashboard/api/lists/installments",
    "/dashboard/api/lists/cost-accruals?order=1",
    "/dashboard/export/list/cost-accruals.xlsx?order=1",
)


@pytest.mark.parametrize("user", ["gaofeng", "wuhao"])
def test_technical_and_purchasing_are_refused_the_cost_collection_and_read_log_panels(
    client: TestClient, user: str
) -> None:
    """What the trial saw: technical (gaofeng) and purchasing (wuhao) got 200 where /reports/costs was 403."""
    assert _get(client, user, "/reports/costs") == 403
    for url in SEEN:
        client.auth = (user, "-")
        answer = client.get(url)
        assert answer.status_code == 403, (url, answer.status_code)
        assert "无权查看" in answer.json()["detail"]
    technical = _get(client, "gaofeng", "/dashboard/api/panels/supplier-scores")
    purchasing = _get(client, "wuhao", "/dashboard/api/panels/supplier-scores")
    assert (technical, purchasing) == (403, 200)  # /suppliers/scorecards is purchasing's, not technical's


# --- item 9: formula injection ----------------------------------------------------------------------------------


def _cells(content: bytes) -> list[tuple[object, str]]:
    book = load_workbook(io.BytesIO(content))
    return [(cell.value, cell.data_type) for sheet in book for row in sheet.iter_rows() for cell in row]


def test_text_that_looks_like_a_formula_is_stored_as_text() -> None:
    columns = (Column("customer", "客户"), Column("salesperson", "业务员"), Column("amount", "金额", "money"))
    rows = [{"customer": text, "salesperson": text, "amount": -5} for text in FORMULAS]
    cells = _cells(workbook("订单", columns, rows, {"salesperson": "=1+1"}))
    for text in FORMULAS:
        found = [kind for value, kind in cells if value == text]
        assert found and set(found) == {"s"}, (text, found)
    assert (-5, "n") in cells  # numbers stay numbers


def test_a_customer_named_like_a_formula_stays_text_in_the_dashboard_export(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    seller = f"=1+1-{uuid.uuid4().hex[:6]}"
    customer = '=HYPERLINK("http://x","x")'
    with unit_of_work(sessions) as s:
        payload = order_payload(
            customer_name=customer, salesperson=seller, requested_delivery_date=str(date.today() + timedelta(days=60))
        )
        create_order(
            s,
            OrderIn.model_validate(payload),
            lambda _variables: f"no-engine-{uuid.uuid4()}",
            limits=OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500),
            actor="test",
            today=date.today(),
        )
    client.auth = ("zhaomin", "-")
    answer = client.get("/dashboard/export/list/orders.xlsx", params={"salesperson": seller, "measure": "orders"})
    assert answer.status_code == 200, answer.text
    cells = _cells(answer.content)
    assert (customer, "s") in cells
    assert [kind for value, kind in cells if value == seller] == ["s", "s"]  # the order's row and the filter sheet
    assert not [value for value, kind in cells if kind == "f"]
