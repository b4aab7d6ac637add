"""Cost budget vs actual and the risk register against PostgreSQL (no engine): budget from the bill of materials ×
the price list, accruals from the facts, the overrun flag at the configured share, every accrual and every risk
a process raises booked exactly once per fact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow import identity
from doorflow.settings import DEFAULT_BOM, DEFAULT_STAGES, Settings
from models.audit import AuditEntry
from models.changes import service as changes
from models.changes.schemas import ChangeRequestIn
from models.changes.tables import QualityImpact
from models.collection import service as collection
from models.collection.schemas import ScheduleItem
from models.collection.tables import InstallmentKind
from models.contracts import service as contracts
from models.costs import service as costs
from models.costs.tables import AccrualKind, CostAccrual, CostBudget, CostOverrun
from models.db import unit_of_work
from models.orders.service import OrderLimits
from models.orders.tables import DoorLine, DoorType, Handing, Order, OrderStatus, PriceApproval, PriceDecision
from models.production import service as production
from models.production.schemas import DelayIn, ReceiptIn
from models.production.tables import DelayCause, Material, PurchaseOrder, PurchaseStatus, Supplier
from models.risks import service as risks
from models.risks.tables import Risk, RiskSource, RiskStatus
from tests.conftest import LiveEngine, verified
from tests.days import factory_day

TERMS = contracts.terms_from_settings(Settings(_env_file=None))
POLICY = costs.CostPolicy(
    labour_rate=D("30.00"),
    overhead_rate=D("0.15"),
    rework_labour_share=D("0.20"),
    overrun_share=D("0.10"),
    bom=DEFAULT_BOM,
    stages=[(s.name, s.days) for s in DEFAULT_STAGES],
)
PLAN = production.PlanConfig(
    due_buffer_days=7,
    due_time=time(18, 0),
    timezone="Asia/Shanghai",
    stages=[production.StagePlan(s.name, s.owner, s.days) for s in DEFAULT_STAGES],
)
SUPPLIERS = production.SupplierPolicy(qualified_classes=["A", "B"], weights={"quality": D("1")})


def _order(
    s: Session, lines: list[tuple[DoorType, int]], customer: str | None = None, salesperson: str = "王磊"
) -> Order:
    tag = uuid.uuid4().hex[:8]
    order = Order(
        order_number=f"DO20990401-{tag}",
        customer_name=customer or f"成本风险测试客户-{tag}",
        delivery_address="浙江省杭州市余杭区",
        requested_delivery_date=date(2099, 6, 30),
        status=OrderStatus.SIGNED,
        salesperson=salesperson,
        lines=[
            DoorLine(line_no=n, door_type=t, width_mm=900, height_mm=2100, handing=Handing.LEFT_INSWING,
                     quantity=q, unit_price=D("2000.00"))
            for n, (t, q) in enumerate(lines, start=1)
        ],
    )  # fmt: skip
    s.add(order)
    s.flush()
    return order


def _count(s: Session, model: Any, *where: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _actions(s: Session, order_id: int, action: str) -> int:
    return _count(s, AuditEntry, AuditEntry.entity == "order", AuditEntry.entity_id == str(order_id),
                  AuditEntry.action == action)  # fmt: skip


def test_budget_at_signing_is_bill_of_materials_times_prices_plus_stage_labour_and_overhead(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as s:
        order = _order(s, [(DoorType.STEEL_SECURITY, 12), (DoorType.WOODEN, 36)])
        order.status = OrderStatus.CONTRACTING
        s.add(PriceApproval(order_id=order.id, round=1, list_total=order.total_amount, discount_percent=D("0"),
                            net_total=order.total_amount, decision=PriceDecision.NOT_REQUIRED))  # fmt: skip
        s.flush()
        contract = contracts.draft_contract(s, order.id, TERMS, revision_note=None, actor="test").contract
        contracts.record_legal_review(s, contract.id, approved=True, comments=None, reviewer="孙丽", actor="test")
        order_id, contract_id = order.id, contract.id
    for _ in range(2):  # the signature step delivered twice
        with unit_of_work(sessions) as s:
            contracts.record_signature(
                s, contract_id, signed_on=factory_day(), signed_by="张经理", terms=TERMS, actor="test"
            )
    with sessions() as s:
        (budget,) = s.scalars(select(CostBudget).where(CostBudget.order_id == order_id)).all()
        # Steel door: 2 sheets × 180 + lock core 85 + 3 hinges × 12 + frame 260 = 741.00;
        # wooden door: 2 panels × 320 + 3 hinges × 12 + lock 65 = 741.00; 48 doors.
        assert budget.materials == D("35568.00")
        # 下料 2 + 成型 3 + 表面处理 2 + 装配 2 + 包装 1 = 10 working days × 48 doors × 30.00.
        assert budget.labour == D("14400.00")
        assert budget.overhead == D("7495.20")  # 15 % of 49,968.00
        assert budget.total == D("57463.20")
        assert (budget.version, budget.source) == (1, f"contract:{contract.contract_number} v1")
        prices = {m["code"]: (m["quantity"], m["unit_price"], m["amount"]) for m in budget.inputs["materials"]}
        assert prices["WOOD-PANEL-40"] == ("72", "320.00", "23040.00")
        assert prices["HINGE-SS"] == ("144", "12.00", "1728.00")
        first_stage = budget.inputs["stages"][0]
        assert (first_stage["name"], first_stage["days"], first_stage["doors"]) == ("下料", 2, 48)
        assert (budget.inputs["labour_rate"], budget.inputs["overrun_share"]) == ("30.00", "0.10")
        assert _actions(s, order_id, "cost_budget.created") == 1
    with sessions() as s:
        cost = costs.order_cost(s, order_id)
        assert cost.budget is not None and cost.budget.total == D("57463.20")
        assert (cost.actual_total, cost.over_budget, cost.unpriced_materials) == (D("0"), False, [])


def _plan_through_stages(s: Session, order_id: int) -> int:
    plan_id = int(production.create_plan(s, order_id, PLAN, actor="test")["planId"])
    production.record_review(s, plan_id, True, "同意", actor="test")
    production.check_materials(s, plan_id, DEFAULT_BOM, actor="test")
    for stage in production.get_plan(s, plan_id).stages:
        production.record_progress(s, stage.id, 100, None, True, actor="test")
    return plan_id


def test_accruals_and_the_overrun_flag_at_the_configured_share(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        tight = _order(s, [(DoorType.WOODEN, 1)])
        loose = _order(s, [(DoorType.WOODEN, 1)])
        costs.create_budget(s, tight.id, "contract:test v1", actor="test", policy=POLICY)
        costs.create_budget(
            s, loose.id, "contract:test v1", actor="test", policy=replace(POLICY, overrun_share=D("0.15"))
        )
        plans = {tight.id: _plan_through_stages(s, tight.id), loose.id: _plan_through_stages(s, loose.id)}
    with sessions() as s:
        cost = costs.order_cost(s, tight.id)
        assert cost.budget is not None and cost.budget.total == D("1197.15")  # (741 + 300) × 1.15
        kinds = {k.kind: k.amount for k in cost.actual_by_kind}
        assert kinds == {AccrualKind.STOCK_ISSUE: D("741.00"), AccrualKind.STAGE_WORK: D("300.00")}
        assert len([a for a in cost.accruals if a.kind == AccrualKind.STAGE_WORK]) == 5
        assert (cost.actual_total, cost.variance, cost.over_budget) == (D("1197.15"), D("0.00"), False)

    def fail_final(order_id: int) -> None:
        with unit_of_work(sessions) as s:
            production.record_final_inspection(s, plans[order_id], False, "漆面流挂", None, actor="test")

    # Each failed final inspection costs 20 % of the budgeted labour (60.00) plus its overhead.
    for order_id in (tight.id, loose.id):
        fail_final(order_id)
    with sessions() as s:
        cost = costs.order_cost(s, tight.id)
        assert (cost.actual_direct, cost.actual_total) == (D("1101.00"), D("1266.15"))
        assert cost.over_budget is False  # 5.8 % over: within 10 %
    for order_id in (tight.id, loose.id):
        fail_final(order_id)
    with sessions() as s:
        tight_cost, loose_cost = costs.order_cost(s, tight.id), costs.order_cost(s, loose.id)
        assert tight_cost.actual_total == loose_cost.actual_total == D("1335.15")  # 11.5 % over the budget
        assert tight_cost.variance_share == D("0.1153")
        assert tight_cost.over_budget is True and tight_cost.overrun_note and "10.0%" in tight_cost.overrun_note
        assert loose_cost.over_budget is False  # its budget tolerates 15 %
        assert _actions(s, tight.id, "cost.overrun_flagged") == 1
    fail_final(tight.id)  # further over: still flagged, not flagged again
    with sessions() as s:
        assert _actions(s, tight.id, "cost.overrun_flagged") == 1
        flag = s.scalars(select(CostOverrun).where(CostOverrun.order_id == tight.id)).one()
        assert flag.active and flag.actual_total == D("1404.15")
        report = costs.report(s, salesperson="王磊", over_budget=True)
        assert tight.id in {r.order_id for r in report.rows} and loose.id not in {r.order_id for r in report.rows}
        row = next(r for r in report.rows if r.order_id == tight.id)
        assert (row.budget_total, row.actual_total, row.variance) == (D("1197.15"), D("1404.15"), D("207.00"))
        assert costs.report(s, salesperson="没有这个人").rows == []
    # A change that the project department assessed at 300.00 raises the budget: the flag is cleared.
    with unit_of_work(sessions) as s:
        costs.budget_for_change(s, tight.id, 987654321, D("300.00"), actor="test")
        costs.budget_for_change(s, tight.id, 987654321, D("300.00"), actor="test")  # delivered twice
    with sessions() as s:
        cost = costs.order_cost(s, tight.id)
        assert [b.version for b in cost.budget_versions] == [1, 2]
        assert cost.budget is not None and cost.budget.total == D("1497.15")
        assert cost.over_budget is False and _actions(s, tight.id, "cost.overrun_cleared") == 1


def _purchase(s: Session, order_id: int, code: str, quantity: str) -> PurchaseOrder:
    material = s.scalars(select(Material).where(Material.code == code)).one()
    tag = uuid.uuid4().hex[:8]
    scores = {"quality_score": D("90"), "lead_time_score": D("90"), "price_score": D("90"), "service_score": D("90")}
    # Class D: never picked by the purchase step, so the engine tests sharing this database keep their suppliers.
    supplier = Supplier(name=f"成本测试供应商-{tag}", qualification_class="D", materials=[code], **scores)
    s.add(supplier)
    s.flush()
    po = PurchaseOrder(number=f"PO-COST-{tag}", order_id=order_id, material_id=material.id, supplier_id=supplier.id,
                       quantity=D(quantity), status=PurchaseStatus.ORDERED)  # fmt: skip
    s.add(po)
    s.flush()
    return po


def test_every_accrual_is_booked_once_per_fact(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        order = _order(s, [(DoorType.STEEL_SECURITY, 2)])
        costs.create_budget(s, order.id, "contract:test v1", actor="test", policy=POLICY)
        po = _purchase(s, order.id, "LOCK-CORE-C", "4")
        receipt = production.receive_goods(
            s, po.number, ReceiptIn(quantity=D("4"), received_by="仓库 周敏"), lambda *_: None, actor="test"
        )
        costs.accrue_receipt(s, receipt, actor="test")  # the same receipt again
        production.return_and_reorder(s, po.number, "锁芯无认证标识", SUPPLIERS, actor="test", today=factory_day())
        costs.accrue_return(s, po, actor="test")  # the same return again
        plan_id = _plan_through_stages(s, order.id)
        costs.accrue_stock_issues(s, order.id, actor="test")
        first_stage = production.get_plan(s, plan_id).stages[0]
        production.record_progress(s, first_stage.id, 100, "再次报完工", True, actor="test")
        costs.accrue_rework(s, order.id, "final:test-1", "成品检验不合格", actor="test")
        costs.accrue_rework(s, order.id, "final:test-1", "成品检验不合格", actor="test")
        line_id = order.lines[0].id
        costs.accrue_replacement(s, order.id, "ticket:test:0", "售后工单 测试", line_id, actor="test")
        costs.accrue_replacement(s, order.id, "ticket:test:0", "售后工单 测试", line_id, actor="test")
        order_id, po_number = order.id, po.number
    with sessions() as s:
        rows = s.scalars(select(CostAccrual).where(CostAccrual.order_id == order_id)).all()
        by_kind: dict[AccrualKind, list[D]] = {}
        for row in rows:
            by_kind.setdefault(row.kind, []).append(row.amount)
        assert by_kind[AccrualKind.GOODS_RECEIPT] == [D("340.00")]  # 4 lock cores × 85.00
        assert by_kind[AccrualKind.GOODS_RETURN] == [D("-340.00")]  # credited once
        assert len(by_kind[AccrualKind.STAGE_WORK]) == 5  # the stage reported finished twice counts once
        assert by_kind[AccrualKind.REWORK] == [D("120.00")]  # 20 % of 10 days × 2 doors × 30.00
        assert by_kind[AccrualKind.REPLACEMENT] == [D("1041.00")]  # one steel door: 741.00 + 300.00 labour
        (returned,) = s.scalars(select(CostAccrual).where(CostAccrual.kind == AccrualKind.GOODS_RETURN,
                                                           CostAccrual.order_id == order_id)).all()  # fmt: skip
        assert po_number in returned.description
        assert _actions(s, order_id, "cost.accrued") == len(rows)


def _risks(s: Session, order_id: int, source: RiskSource) -> list[Risk]:
    return list(s.scalars(select(Risk).where(Risk.order_id == order_id, Risk.source == source)))


def test_every_process_risk_is_raised_once_per_source_event(sessions: sessionmaker[Session]) -> None:
    customer = f"风险客户-{uuid.uuid4().hex[:8]}"
    with unit_of_work(sessions) as s:
        order = _order(s, [(DoorType.WOODEN, 2)], customer=customer)
        other = _order(s, [(DoorType.WOODEN, 1)], customer=customer)
        done = _order(s, [(DoorType.WOODEN, 1)], customer=customer)
        done.status = OrderStatus.COMPLETED
        plan_id = int(production.create_plan(s, order.id, PLAN, actor="test")["planId"])
        delay = production.record_delay(
            s, plan_id,
            DelayIn(cause=DelayCause.INTERNAL, cause_detail="喷涂线故障", remedy="加班追赶", responsibility="涂装车间",
                    new_due_date=date(2099, 7, 10)),
            actor="test",
        )  # fmt: skip
        production.record_final_inspection(s, plan_id, False, "门缝超差", None, actor="test")
        collection.register_installments(
            s, order_id=order.id, order_number=order.order_number, contract_number=None, customer_name=customer,
            customer_email=None, actor="test",
            schedule=[ScheduleItem(kind=InstallmentKind.DEPOSIT, amount=D("1200.00"), due_date=date(2099, 1, 10))],
        )  # fmt: skip
        (installment,) = collection.list_installments(s, order_id=order.id)
        change = changes.request_change(
            s, order.id, ChangeRequestIn.model_validate({"description": "改为防火门", "requested_by": "客户"}),
            lambda *_: None, limits=OrderLimits(max_width_mm=3000, max_height_mm=4000, max_quantity=500),
            actor="test", today=factory_day(),
        )  # fmt: skip
        ids = order.id, other.id, done.id, plan_id, int(delay["delayId"]), installment.id, change.id
    order_id, other_id, done_id, plan_id, delay_id, installment_id, change_id = ids
    for _ in range(2):  # every step delivered twice
        with unit_of_work(sessions) as s:
            collection.mark_overdue(s, installment_id, datetime.now(UTC), actor="test")
            changes.record_assessment(
                s, change_id, schedule_days=20, quality=QualityImpact.MINOR, cost_delta=D("800.00"), note=None,
                major=True, reason="改门型影响工期 20 天", actor="test",
            )  # fmt: skip
            collection.flag_customer_risk(s, installment_id, actor="test")
            assert (
                risks.raise_auto(s, order_id, RiskSource.PRODUCTION_DELAY, delay_id, "生产延期", actor="test") is None
            )
            risks.raise_for_existing_flags(s, other_id, actor="test")  # e.g. the customer's next signing
    with sessions() as s:
        (delayed,) = _risks(s, order_id, RiskSource.PRODUCTION_DELAY)
        assert (delayed.category.value, delayed.level.value, delayed.owner_group) == ("technical", "medium", "project")
        assert delayed.measures == "加班追赶" and delayed.status == RiskStatus.OPEN
        (failed,) = _risks(s, order_id, RiskSource.FINAL_INSPECTION_FAILED)
        assert failed.category.value == "quality" and failed.description == "门缝超差"
        (overdue,) = _risks(s, order_id, RiskSource.INSTALLMENT_OVERDUE)
        assert (overdue.category.value, overdue.source_ref) == ("customer", str(installment_id))
        (major,) = _risks(s, order_id, RiskSource.MAJOR_CHANGE)
        assert major.description == "改门型影响工期 20 天"
        # The flagged customer's running orders carry a customer risk each, once; a completed order none.
        assert len(_risks(s, order_id, RiskSource.CUSTOMER_RISK_FLAG)) == 1
        (flagged,) = _risks(s, other_id, RiskSource.CUSTOMER_RISK_FLAG)
        assert flagged.level.value == "high" and flagged.owner_group == "sales-manager"
        assert _risks(s, done_id, RiskSource.CUSTOMER_RISK_FLAG) == []
        assert _actions(s, order_id, "risk.raised") == 5
        report = risks.report(s, salesperson="王磊")
        assert report.open_risks >= 6 and {c.key for c in report.by_category} == {
            "market",
            "technical",
            "quality",
            "customer",
        }
        assert flagged.id in {r.id for r in report.open_high}


@pytest.fixture
def client(db_url: str, live_engine: LiveEngine) -> Iterator[TestClient]:
    """The API without an engine (these routes only read and write the store); the login was verified before."""
    settings = Settings(_env_file=None, database_url=db_url, engine_url="http://127.0.0.1:9")
    with TestClient(create_app(settings, authenticator=verified(live_engine))) as c:  # logged in before
        c.auth = api_login()
        yield c


def api_login() -> tuple[str, str]:
    """Who these tests call the API as (the API gets HTTP Basic authentication; see issue 10)."""
    return identity.credentials("doorflow")


def test_staff_raise_risks_and_close_them_with_a_note_once(client: TestClient, sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        order_id = _order(s, [(DoorType.GLASS, 3)]).id
        costs.create_budget(s, order_id, "contract:test v1", actor="test", policy=POLICY)
    body = {"category": "market", "level": "high", "title": "钢材价格上涨", "measures": "锁定季度采购价",
            "owner_group": "purchasing", "owner_user": "采购 刘洋", "raised_by": "项目经理 陈刚"}  # fmt: skip
    created = client.post(f"/orders/{order_id}/risks", json=body)
    assert created.status_code == 201, created.text
    risk = created.json()
    assert (risk["category_label"], risk["level_label"], risk["status_label"]) == ("市场风险", "高", "未关闭")
    assert (risk["source"], risk["source_label"], risk["owner_user"]) == ("staff", "人工登记", "采购 刘洋")
    assert client.post(f"/orders/{order_id}/risks", json={**body, "category": "weather"}).status_code == 422
    assert client.post("/orders/999999999/risks", json=body).status_code == 404
    listed = client.get(
        "/risks", params={"order_id": order_id, "status": "open", "category": "market", "level": "high"}
    )
    assert [r["id"] for r in listed.json()] == [risk["id"]]
    assert client.get("/risks", params={"level": "extreme"}).status_code == 422
    no_note = client.post(f"/risks/{risk['id']}/close", json={"note": "   ", "closed_by": "陈刚"})
    assert no_note.status_code == 422
    assert client.post(f"/risks/{risk['id']}/close", json={"closed_by": "陈刚"}).status_code == 422
    closed = client.post(f"/risks/{risk['id']}/close", json={"note": "已签订锁价协议", "closed_by": "陈刚"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["close_note"] == "已签订锁价协议"
    again = client.post(f"/risks/{risk['id']}/close", json={"note": "再关一次", "closed_by": "陈刚"})
    assert again.status_code == 409 and "已于" in again.json()["detail"]
    assert client.post("/risks/999999999/close", json={"note": "x", "closed_by": "陈刚"}).status_code == 404
    assert [r["status"] for r in client.get(f"/orders/{order_id}/risks").json()] == ["closed"]
    report = client.get("/reports/risks").json()
    assert {c["label"] for c in report["by_level"]} == {"高", "中", "低"}
    assert risk["id"] not in {r["id"] for r in report["open_high"]}
    cost = client.get(f"/orders/{order_id}/cost").json()
    assert cost["budget"]["total"] == "1842.30"  # 3 glass doors: (210 + 2 × 12) × 3 + 10 × 3 × 30.00, + 15 %
    assert (cost["actual_total"], cost["over_budget"]) == ("0.00", False)
    costs_report = client.get("/reports/costs", params={"start": factory_day().isoformat()}).json()
    assert order_id in {r["order_id"] for r in costs_report["rows"]}
    bad = client.get(
        "/reports/costs",
        params={"start": factory_day().isoformat(), "end": (factory_day() - timedelta(days=1)).isoformat()},
    )
    assert bad.status_code == 422
