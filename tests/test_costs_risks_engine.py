"""Cost and risk on the real engine: door-production with a failed incoming and a failed final inspection books
each actual cost and raises each risk exactly once, also when the engine's tasks are delivered again."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal as D

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from models.audit import AuditEntry
from models.costs import service as costs
from models.costs.tables import AccrualKind, CostAccrual
from models.db import unit_of_work
from models.jobs import ProcessedTask
from models.production.tables import ProductionPlan
from models.risks.tables import Risk
from tests.conftest import LiveEngine, make_settings
from tests.test_costs_risks_service import POLICY
from tests.test_production_engine import Warehouse, run_to_end, start_production
from workers.external import LockedTask
from workers.main import make_executor
from workers.registry import TaskType

pytestmark = pytest.mark.engine


def _snapshot(s: Session, order_id: int) -> tuple[list[tuple[str, str, D]], list[tuple[str, str | None]], int]:
    accruals = [
        (a.kind.value, a.source_ref, a.amount)
        for a in s.scalars(select(CostAccrual).where(CostAccrual.order_id == order_id).order_by(CostAccrual.id))
    ]
    risks = [
        (r.source.value, r.source_ref)
        for r in s.scalars(select(Risk).where(Risk.order_id == order_id).order_by(Risk.id))
    ]
    audits = int(
        s.scalar(
            select(func.count()).where(
                AuditEntry.entity == "order",
                AuditEntry.entity_id == str(order_id),
                AuditEntry.action.in_(["cost.accrued", "risk.raised", "cost.overrun_flagged"]),
            )
        )
        or 0
    )
    return accruals, risks, audits


def test_production_with_failed_inspections_books_costs_and_raises_risks_once(
    api: TestClient,
    live_engine: LiveEngine,
    workers: stack.Child,
    sessions: sessionmaker[Session],
    db_url: str,
) -> None:
    order, pid = start_production(api, live_engine, f"台州成本风险测试有限公司-{uuid.uuid4().hex[:6]}")
    with unit_of_work(sessions) as s:
        # The budget the contract signature makes, with a tolerance of 1 % so that the rework shows as an overrun.
        budget = costs.create_budget(
            s, order["id"], "contract:engine-test v1", actor="test", policy=replace(POLICY, overrun_share=D("0.01"))
        )
        budget_total = budget.total
    failed_in = {"incomingResult": "failed", "incomingFailCause": "锁芯无 C 级认证标识"}
    passed_in = {"incomingResult": "passed", "incomingFailCause": None}
    failed_final = {"finalResult": "failed", "finalFailCause": "门扇漆面有流挂"}
    passed_final = {"finalResult": "passed", "finalFailCause": None}
    overrides = {"IncomingInspection": [failed_in, passed_in], "FinalInspection": [failed_final, passed_final]}
    run_to_end(live_engine, pid, Warehouse(api, order["id"]), overrides)

    with sessions() as s:
        accruals, risks, audits = _snapshot(s, order["id"])
        plan = s.scalars(select(ProductionPlan).where(ProductionPlan.order_id == order["id"])).one()
        stage_ids = [st.id for st in plan.stages]
    kinds = [k for k, _, _ in accruals]
    assert kinds.count(AccrualKind.STAGE_WORK.value) == 5
    assert kinds.count(AccrualKind.GOODS_RECEIPT.value) == 2  # the returned delivery and the one re-ordered
    assert kinds.count(AccrualKind.GOODS_RETURN.value) == 1
    assert kinds.count(AccrualKind.REWORK.value) == 1
    assert kinds.count(AccrualKind.STOCK_ISSUE.value) >= 1
    receipts = [a for k, _, a in accruals if k == AccrualKind.GOODS_RECEIPT.value]
    assert sum(a for k, _, a in accruals if k == AccrualKind.GOODS_RETURN.value) == -receipts[0]
    assert sorted(src for src, _ in risks) == ["final_inspection_failed", "incoming_inspection_failed"]

    cost = api.get(f"/orders/{order['id']}/cost").json()
    # Materials as budgeted (stock + purchases = the bill of materials), labour as planned; the rework is
    # 20 % of the budgeted labour (10 days × 6 doors × 30.00 = 1,800.00) with its 15 % overhead.
    assert D(cost["variance"]) == D("414.00")
    assert D(cost["actual_total"]) == budget_total + D("414.00")
    assert cost["over_budget"] is True and "超出预算" in cost["overrun_note"]
    report = api.get("/reports/costs", params={"over_budget": "true"}).json()
    assert order["id"] in {r["order_id"] for r in report["rows"]}
    listed = api.get("/risks", params={"order_id": order["id"], "category": "quality"}).json()
    assert {r["source_label"] for r in listed} == {"来料检验不合格", "成品检验不合格"}

    # The engine hands the same tasks out again (a lock ran out, a node died): the same task ids run again.
    execute = make_executor(sessions, make_settings(db_url, live_engine.cfg.url))
    with sessions() as s:
        done = s.scalars(
            select(ProcessedTask).where(
                ProcessedTask.task_type.in_(
                    [
                        TaskType.PRODUCTION_RECORD_FINAL_INSPECTION.value,
                        TaskType.PRODUCTION_RETURN_REORDER.value,
                        TaskType.PRODUCTION_RECORD_PROGRESS.value,
                        TaskType.PRODUCTION_CHECK_MATERIALS.value,
                    ]
                ),
                ProcessedTask.business_key.in_(
                    [f"plan:{plan.id}", *(f"stage:{i}" for i in stage_ids)]
                    + [
                        f"po:{n}"
                        for n in (po["number"] for po in api.get(f"/orders/{order['id']}/purchase-orders").json())
                    ]
                ),
            )
        ).all()
    assert len(done) >= 1 + 2 + 5  # final inspections, stage reports, the return
    # What the tasks carried (a repeat returns the stored result before anything is read but the keys).
    carried = {"planId": plan.id, "stageId": stage_ids[0], "progressPercent": 100, "stageCompleted": "yes",
               "purchaseOrderNumber": "-", **failed_final, **failed_in}  # fmt: skip
    for task in done:
        again = LockedTask(
            id=task.task_id, topic=task.task_type, process_instance_id=pid, element_id="", business_key=None,
            retries=None, variables=carried,
        )  # fmt: skip
        assert execute(again).kind == "complete"
    # And the first stage's completion reported once more under a new task (another report of the same fact).
    report_again = LockedTask(
        id=f"test-{uuid.uuid4().hex}", topic=TaskType.PRODUCTION_RECORD_PROGRESS.value, process_instance_id=pid,
        element_id="RecordProgress", business_key=None, retries=None,
        variables={"stageId": stage_ids[0], "progressPercent": 100, "stageCompleted": "yes", "progressNote": "补报"},
    )  # fmt: skip
    assert execute(report_again).kind == "complete"
    with sessions() as s:
        assert _snapshot(s, order["id"]) == (accruals, risks, audits)
