"""The KPI dashboard: every list behind a figure holds exactly the rows the figure counts, every panel's Excel
export equals its JSON table, and the quarterly after-sales report and its document (PostgreSQL, no engine)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.dashboard.panels import LISTS, PANELS
from api.main import create_app
from doorflow.settings import Settings
from models.aftersales import service as aftersales
from models.aftersales.schemas import TicketIn
from models.collection import service as collection
from models.collection.schemas import ScheduleItem
from models.collection.tables import Installment, InstallmentStatus
from models.costs import service as costs
from models.costs.tables import AccrualKind
from models.db import unit_of_work
from models.documents import access
from models.documents import service as documents
from models.documents.tables import DocumentCategory
from models.fulfilment.tables import Acceptance, Shipment
from models.orders.schemas import OrderIn
from models.orders.service import OrderLimits, create_order
from models.orders.tables import Order, OrderStatus
from models.production.tables import (
    CraftDocument,
    DelayCause,
    Inspection,
    InspectionKind,
    Material,
    ProductionDelay,
    ProductionPlan,
    PurchaseOrder,
    PurchaseStatus,
    Supplier,
)
from models.reports import service as reports
from tests.conftest import LiveEngine, order_payload
from tests.dashboard_support import dashboard_client
from tests.days import factory_day

LIMITS = OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500)
TODAY = factory_day()
DEPARTMENT = "看板测试部"
FACTORY_ZONE = str(Settings.model_fields["factory_timezone"].default)


@pytest.fixture(scope="module")
def seller() -> str:
    return f"看板销售-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def data(sessions: sessionmaker[Session], seller: str) -> dict[str, Any]:
    """Four orders of one salesperson with deliveries, inspections, acceptances and a delay; three tickets;
    installments due in the past, partly paid; stored through the services where they exist."""
    promised = TODAY + timedelta(days=60)
    with unit_of_work(sessions) as s:
        orders = [
            create_order(
                s,
                OrderIn.model_validate(
                    order_payload(
                        customer_name=f"看板客户{i}", salesperson=seller, requested_delivery_date=str(promised)
                    )
                ),
                lambda _variables: f"no-engine-{uuid.uuid4()}",  # a report test: no process runs
                limits=LIMITS,
                actor="test",
                today=TODAY,
            )
            for i in range(4)
        ]
        on_time, late, rejected, _open = orders
        on_time.status, late.status, rejected.status = OrderStatus.COMPLETED, OrderStatus.ACCEPTED, OrderStatus.REJECTED
        s.add(Shipment(order_id=on_time.id, carrier="顺丰", tracking_number="D1", shipped_on=TODAY, delivered_on=TODAY))
        s.add(Shipment(order_id=late.id, carrier="顺丰", tracking_number="D2", shipped_on=TODAY,
                       delivered_on=promised + timedelta(days=3)))  # fmt: skip
        s.add(Inspection(order_id=on_time.id, kind=InspectionKind.FINAL, round=1, passed=True))
        s.add(Inspection(order_id=late.id, kind=InspectionKind.FINAL, round=1, passed=False, cause="漆面流挂"))
        s.add(Acceptance(order_id=on_time.id, round=1, passed=True))
        s.add(Acceptance(order_id=late.id, round=1, passed=False, defects="门缝过大"))
        craft = s.scalars(select(CraftDocument)).first()
        assert craft is not None
        plan = ProductionPlan(order_id=late.id, version=1, craft_document_id=craft.id, due_date=promised)
        s.add(plan)
        s.flush()
        s.add(ProductionDelay(order_id=late.id, plan_id=plan.id, cause=DelayCause.INTERNAL, cause_detail="设备故障",
                              remedy="加班", old_due_date=promised, new_due_date=promised + timedelta(days=5),
                              responsibility="生产部", customer_informed=True))  # fmt: skip

        tickets = []
        for order, ptype in [(on_time, "lock_hardware"), (late, "lock_hardware"), (late, "hinge_alignment")]:
            body = {"customer_name": order.customer_name, "order_number": order.order_number, "door_line_no": 1,
                    "product_model": "GF-960", "problem_type": ptype, "problem_description": "门锁卡滞",
                    "channel": "hotline", "severity": "high", "urgency": "high"}  # fmt: skip
            tickets.append(
                aftersales.open_ticket(
                    s, TicketIn.model_validate(body), lambda _v: f"no-engine-{uuid.uuid4()}", actor="test", today=TODAY
                )
            )
        opened = datetime.now(UTC).replace(tzinfo=None)
        quick, slow, waiting = tickets
        for t in tickets:
            t.opened_at = opened
            t.contact_due_at = opened + timedelta(hours=4)
        quick.first_contact_at, quick.resolved_at, quick.satisfaction_score = (
            opened + timedelta(hours=1),
            opened + timedelta(hours=20),
            5,
        )
        quick.cause = "锁芯批次质量问题"
        slow.first_contact_at, slow.resolved_at, slow.satisfaction_score = (
            opened + timedelta(hours=6),
            opened + timedelta(hours=100),
            3,
        )
        slow.cause = "锁芯批次质量问题"
        waiting.first_contact_at = opened + timedelta(hours=2)

        for order in (on_time, late):
            schedule = [
                ScheduleItem(kind="deposit", amount=Decimal("1000.00"), due_date=TODAY - timedelta(days=10)),
                ScheduleItem(kind="progress", amount=Decimal("2000.00"), due_date=TODAY - timedelta(days=45)),
                ScheduleItem(kind="final", amount=Decimal("500.00"), due_date=TODAY + timedelta(days=30)),
            ]
            collection.register_installments(
                s, order_id=order.id, order_number=order.order_number, schedule=schedule,
                contract_number=f"HT-{order.order_number}", customer_name=order.customer_name, customer_email=None,
                actor="test",
            )  # fmt: skip
        s.flush()
        first = s.scalars(select(Installment).where(Installment.order_id == on_time.id, Installment.seq == 1)).one()
        first.paid_amount = Decimal("1000.00")
        first.status = InstallmentStatus.PAID
        overdue = s.scalars(select(Installment).where(Installment.order_id == late.id, Installment.seq == 2)).one()
        collection.flag_customer_risk(s, overdue.id, actor="test")
        for supplier in s.scalars(select(Supplier)):  # every scorecard row links to its purchase orders
            material = s.scalars(select(Material)).first()
            assert material is not None
            s.add(PurchaseOrder(number=f"PO-DASH-{supplier.id}", order_id=late.id, material_id=material.id,
                                supplier_id=supplier.id, quantity=Decimal("2"),
                                status=PurchaseStatus.ORDERED))  # fmt: skip
        costs.create_budget(s, on_time.id, f"test:{on_time.order_number}", actor="test")  # the cost panel's row
        costs.accrue(s, on_time.id, AccrualKind.STAGE_WORK, "dashboard-test", Decimal("120.00"), "下料 完工", {},
                     actor="test")  # fmt: skip
        doc = documents.store(
            s, subject=f"order:{on_time.id}", kind="dashboard_test", category=DocumentCategory.CUSTOMER,
            title="看板测试文档", template="_base.html.j2", context={"title": "看板测试文档"}, actor="test",
            order_id=on_time.id,
        )  # fmt: skip
        access.read(s, doc.id, "wanglei", "html", access.Policy.from_settings(Settings()), datetime.now(UTC))
        return {"orders": [o.id for o in orders]}


@pytest.fixture(scope="module")
def client(db_url: str, live_engine: LiveEngine, seller: str, data: dict[str, Any]) -> Iterator[TestClient]:
    """The API on the test database; the engine only verifies the manager's login (reports never call it)."""
    settings = Settings(
        _env_file=None, database_url=db_url, engine_url=live_engine.cfg.url, sales_departments={DEPARTMENT: [seller]}
    )
    with dashboard_client(create_app(settings)) as c:
        yield c


SCOPE = {"department": DEPARTMENT}


def test_order_lists_hold_the_rows_each_kpi_counts(
    client: TestClient, sessions: sessionmaker[Session], seller: str
) -> None:
    kpis = client.get("/reports/orders", params=SCOPE).json()
    counts = {
        "orders": kpis["orders"], "completed": kpis["completed"], "rejected": kpis["rejected"],
        "delivered": kpis["delivered"], "on_time": kpis["on_time_count"], "inspected": kpis["inspected_count"],
        "inspection_first_pass": kpis["inspection_first_pass_count"],
        "acceptance_checked": kpis["acceptance_checked_count"],
        "acceptance_first_pass": kpis["acceptance_first_pass_count"],
    }  # fmt: skip
    assert counts == {"orders": 4, "completed": 1, "rejected": 1, "delivered": 2, "on_time": 1, "inspected": 2,
                      "inspection_first_pass": 1, "acceptance_checked": 2, "acceptance_first_pass": 1}  # fmt: skip
    with sessions() as s:
        for measure, expected in counts.items():
            rows = reports.order_rows(s, measure, start=None, end=None, salesperson=seller)
            assert len(rows) == expected, measure
            listed = client.get("/dashboard/api/lists/orders", params={**SCOPE, "measure": measure}).json()
            assert [r["order_number"] for r in listed["rows"]] == [o.order_number for o in rows], measure
            # 收单日期 is the factory's day of the order's receipt (between 16:00 and 24:00 UTC not the UTC date).
            days = [o.created_at.astimezone(ZoneInfo(FACTORY_ZONE)).date().isoformat() for o in rows]
            assert [r["received"] for r in listed["rows"]] == days, measure
    delays = client.get("/dashboard/api/lists/delays", params=SCOPE).json()["rows"]
    assert (len(delays), sum(d["days"] for d in delays)) == (kpis["delays"], kpis["total_delay_days"]) == (1, 5)
    # The other department sees none of these orders; an unknown department is a 422 naming the field.
    assert client.get("/reports/orders", params={"salesperson": "没有这个人"}).json()["orders"] == 0
    bad = client.get("/dashboard/api/panels", params={"department": "不存在的部门"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "department"]


def test_ticket_lists_hold_the_rows_each_kpi_counts(client: TestClient) -> None:
    r = client.get("/reports/after-sales", params=SCOPE).json()
    assert (r["ticket_count"], r["contacted_count"], r["in_time_contact_count"]) == (3, 3, 2)
    assert (r["resolved_count"], r["resolved_in_time_count"], r["timely_resolution_rate"]) == (2, 1, 0.5)
    assert (r["revisited_count"], r["revisit_positive_count"], r["mean_satisfaction"]) == (2, 1, 4.0)
    assert r["mean_resolution_hours"] == 60.0
    assert (r["delivered_orders"], r["complaint_rate"]) == (2, 1.5)
    figures = {"tickets": r["ticket_count"], "contacted": r["contacted_count"],
               "contact_in_time": r["in_time_contact_count"], "resolved": r["resolved_count"],
               "resolved_in_time": r["resolved_in_time_count"], "revisited": r["revisited_count"],
               "revisit_positive": r["revisit_positive_count"], "escalated": r["escalated_count"]}  # fmt: skip
    for measure, expected in figures.items():
        listed = client.get("/dashboard/api/lists/tickets", params={**SCOPE, "measure": measure}).json()["rows"]
        assert len(listed) == expected, measure
    for ptype, n in r["by_problem_type"].items():
        listed = client.get("/dashboard/api/lists/tickets", params={**SCOPE, "problem_type": ptype}).json()["rows"]
        assert len(listed) == n, ptype


def test_installment_lists_hold_the_rows_each_kpi_counts(client: TestClient) -> None:
    r = client.get("/reports/collection", params=SCOPE).json()
    assert (r["due_count"], r["due_amount"], r["collected_amount"], r["collection_rate"]) == (
        4, "6000.00", "1000.00", "0.1667")  # fmt: skip
    assert (r["overdue_count"], r["overdue_amount"]) == (3, "5000.00")
    assert len(client.get("/dashboard/api/lists/installments", params={**SCOPE, "measure": "due"}).json()["rows"]) == 4
    overdue = client.get("/dashboard/api/lists/installments", params={**SCOPE, "measure": "overdue"}).json()["rows"]
    assert len(overdue) == r["overdue_count"]
    for i, bucket in enumerate(r["ageing"]):
        rows = client.get(
            "/dashboard/api/lists/installments", params={**SCOPE, "measure": "overdue", "bucket": i}
        ).json()["rows"]
        assert len(rows) == bucket["count"], bucket["label"]
        assert sum((Decimal(x["balance"]) for x in rows), Decimal("0.00")) == Decimal(bucket["amount"])
    assert [b["count"] for b in r["ageing"]] == [1, 2, 0, 0]
    assert r["risk_customers"] == [next(c for c in r["risk_customers"])] and r["risk_customers"][0].startswith(
        "看板客户"
    )


def _cell(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal | int | float) and not isinstance(value, bool) else value


def _json_cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("int", "number", "rate", "money"):
        return float(value)
    if kind == "date":
        return date.fromisoformat(value)
    return value


def test_every_panel_renders_links_and_exports_what_its_json_shows(client: TestClient) -> None:
    page = client.get("/dashboard", params=SCOPE)
    assert page.status_code == 200 and "经营看板" in page.text
    echarts = client.get("/dashboard/static/echarts.min.js")
    assert echarts.status_code == 200 and len(echarts.content) > 500_000 and b"echarts" in echarts.content[:2000]
    panels = client.get("/dashboard/api/panels", params=SCOPE).json()
    assert [p["key"] for p in panels] == [p.key for p in PANELS]
    for panel in panels:
        assert panel["rows"], panel["key"]
        for row in panel["rows"]:  # every figure links to a list that answers
            listed = client.get(row["_link"])
            assert listed.status_code == 200 and "返回看板" in listed.text, row["_link"]
        export = client.get(panel["export"])
        assert export.status_code == 200, panel["key"]
        sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0]) == [c["title"] for c in panel["columns"]]
        expected = [[_json_cell(row[c["key"]], c["kind"]) for c in panel["columns"]] for row in panel["rows"]]
        got = [[_cell(v.date() if isinstance(v, datetime) else v) for v in line] for line in values[1:]]
        assert got == expected, panel["key"]
    rates = next(p for p in panels if p["key"] == "order-rates")["rows"]
    assert (rates[0]["metric"], rates[0]["part"], rates[0]["whole"]) == ("完成率", 1, 4)
    completed = client.get(rates[0]["_link"].replace("/dashboard/list/", "/dashboard/api/lists/")).json()["rows"]
    assert len(completed) == rates[0]["part"]


def test_list_exports_equal_their_json(client: TestClient) -> None:
    panels = client.get("/dashboard/api/panels", params=SCOPE).json()
    links: dict[str, list[str]] = {}  # list key -> the panel links that open it (some lists need a row's id)
    for panel in panels:
        for url in [row["_link"] for row in panel["rows"]] + [c["link"] for c in panel["cards"] if c.get("link")]:
            key = url.split("?")[0].rsplit("/", 1)[-1]
            links.setdefault(key, []).append(url.replace("/dashboard/list/", "/dashboard/api/lists/"))
    for drill in LISTS:
        assert drill.key in links, f"no panel links to the list {drill.key}"
        rows_seen = 0
        for url in links[drill.key]:
            listed = client.get(url).json()
            sheet = load_workbook(io.BytesIO(client.get(listed["export"]).content)).worksheets[0]
            values = list(sheet.iter_rows(values_only=True))
            assert list(values[0]) == [c.title for c in drill.columns]
            expected = [[_json_cell(row[c.key], c.kind) for c in drill.columns] for row in listed["rows"]]
            got = [[_cell(v.date() if isinstance(v, datetime) else v) for v in line] for line in values[1:]]
            assert got == expected, url
            rows_seen += len(got)
        assert rows_seen > 0, drill.key


def test_quarterly_after_sales_report_and_document(client: TestClient) -> None:
    quarter = (TODAY.month - 1) // 3 + 1
    q = client.get("/reports/after-sales/quarterly", params={"year": TODAY.year, "quarter": quarter, **SCOPE}).json()
    assert (q["ticket_count"], q["resolved_count"], q["mean_handling_hours"], q["mean_satisfaction"]) == (
        3,
        2,
        60.0,
        4.0,
    )
    assert [(g["key"], g["tickets"]) for g in q["by_problem_type"]] == [("lock_hardware", 2), ("hinge_alignment", 1)]
    assert [(g["label"], g["tickets"]) for g in q["by_product_model"]] == [("钢质防盗门", 3)]
    assert [(g["label"], g["tickets"], g["resolved"]) for g in q["by_cause"]] == [
        ("锁芯批次质量问题", 2, 2), ("（尚未分析）", 1, 0)]  # fmt: skip
    assert client.get("/reports/after-sales/quarterly", params={"year": TODAY.year, "quarter": 5}).status_code == 422
    made = client.post("/reports/after-sales/quarterly/document", params={"year": TODAY.year, "quarter": quarter})
    assert made.status_code == 201, made.text
    doc = made.json()
    assert doc["kind"] == "aftersales_quarterly" and doc["title"] == f"{TODAY.year}年第{quarter}季度售后服务统计报告"
    html = client.get(f"/documents/{doc['id']}/content").text
    assert "售后服务统计报告" in html and "锁具五金" in html and "锁芯批次质量问题" in html and "钢质防盗门" in html
    again = client.post("/reports/after-sales/quarterly/document", params={"year": TODAY.year, "quarter": quarter})
    assert again.json()["version"] == doc["version"] + 1


def test_order_kpis_by_month_carry_the_delays(sessions: sessionmaker[Session], seller: str) -> None:
    with sessions() as s:
        kpis = reports.order_kpis(s, start=None, end=None, salesperson=seller)
        assert [(m.orders, m.delays, m.delay_days) for m in kpis.by_month] == [(4, 1, 5)]
        assert s.scalar(select(Order.salesperson).where(Order.salesperson == seller).limit(1)) == seller
