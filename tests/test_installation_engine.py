"""The installation call activity (door-installation) on the real engine: schedule, confirm, check, install, inspect."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doorflow import stack
from doorflow.staff import SimulatedStaff
from models.documents.tables import Document
from models.installation.tables import (
    Installation,
    InstallationInspection,
    InstallationStatus,
    Replacement,
    SiteCheck,
)
from tests.conftest import LiveEngine, order_payload
from tests.days import factory_day

pytestmark = pytest.mark.engine


def start_installation(api: TestClient, live_engine: LiveEngine, customer: str) -> tuple[dict[str, Any], str]:
    """An order through the API, then door-installation started the way door-order's call activity starts it:
    business key = the order number, variables orderId and orderNumber."""
    response = api.post("/orders", json=order_payload(customer_name=customer))
    assert response.status_code == 201, response.text
    order = response.json()
    pid = live_engine.client.start_process(
        "door-installation", order["order_number"], {"orderId": order["id"], "orderNumber": order["order_number"]}
    )
    return order, pid


def installation_of(s: Session, order_id: int) -> Installation:
    return s.scalars(select(Installation).where(Installation.order_id == order_id)).one()


def completed(live_engine: LiveEngine, pid: str) -> bool:
    return live_engine.history.instance_state(pid) == "COMPLETED"


def test_installation_happy_path(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order, pid = start_installation(api, live_engine, "嘉兴安装顺利有限公司")
    staff = SimulatedStaff(live_engine.client, live_engine.history)
    staff.work_until(pid, lambda: completed(live_engine, pid), timeout_s=90)

    assert live_engine.history.incidents(pid) == []
    groups = {t.element_id: t.candidate_groups for t in staff.done}
    assert groups == {
        "ScheduleInstallation": ["installation"],
        "ConfirmInstallationDate": ["customer-service"],
        "PreInstallCheck": ["installation"],
        "Install": ["installation"],
        "InspectInstallation": ["quality"],
    }
    with sessions() as s:
        inst = installation_of(s, order["id"])
        assert inst.status == InstallationStatus.COMPLETED and inst.completed_at is not None
        assert inst.team == "安装一组" and inst.site_address == order["delivery_address"]
        assert inst.scheduled_date is not None and inst.scheduled_date > factory_day()
        (doc,) = s.scalars(
            select(Document).where(Document.order_id == order["id"], Document.kind == "installation_plan")
        )
        assert "安装计划单" in doc.content and "钢质防盗门" in doc.content and order["delivery_address"] in doc.content
        (inspection,) = s.scalars(
            select(InstallationInspection).where(InstallationInspection.installation_id == inst.id)
        )
        assert inspection.passed


def test_damaged_goods_wait_for_replacement_before_installing(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order, pid = start_installation(api, live_engine, "湖州货损测试有限公司")
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)
    damaged = {"siteReady": "yes", "goodsDamaged": "yes", "checkNotes": "第 3 樘门扇运输中磕碰，漆面破损"}

    staff.work_until(
        pid,
        lambda: history.visited(pid, "RequestReplacement") == 1,
        overrides={"PreInstallCheck": [damaged]},
        timeout_s=60,
    )
    history.wait_for(lambda: history.visited(pid, "ReplacementGoodsArrived", "started") == 1, 30, "waiting for goods")
    assert not history.open_user_tasks(pid)  # nothing to install until the goods are there
    # The wait is correlated by the business key (the order number), which the whole order tree shares.
    (sub,) = history.open_message_subscriptions([pid])
    assert (sub["eventName"], sub["activityId"]) == ("ReplacementGoodsArrived", "ReplacementGoodsArrived")
    assert history.business_key(pid) == order["order_number"]
    response = api.post(f"/orders/{order['id']}/installation/replacement-arrived", json={"note": "补发门扇已到现场"})
    assert response.status_code == 200, response.text
    assert response.json()["arrived_at"] is not None

    staff.work_until(pid, lambda: completed(live_engine, pid), timeout_s=60)
    assert history.incidents(pid) == []
    assert history.visited(pid, "PreInstallCheck") == 2
    assert history.visited(pid, "Install") == 1
    # Nothing waits any more: a second report is refused and changes nothing.
    again = api.post(f"/orders/{order['id']}/installation/replacement-arrived", json={})
    assert again.status_code == 409
    with sessions() as s:
        inst = installation_of(s, order["id"])
        assert inst.status == InstallationStatus.COMPLETED
        (replacement,) = s.scalars(select(Replacement).where(Replacement.installation_id == inst.id))
        assert replacement.damage_notes == damaged["checkNotes"] and replacement.arrived_at is not None
        checks = s.scalars(select(SiteCheck).where(SiteCheck.installation_id == inst.id).order_by(SiteCheck.id)).all()
        assert [c.goods_damaged for c in checks] == [True, False]


def test_customer_proposes_another_date_and_failed_inspection_is_fixed(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order, pid = start_installation(api, live_engine, "金华改期测试有限公司")
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)
    overrides: dict[str, Any] = {
        "ScheduleInstallation": [
            {"installDate": "2099-05-10", "installTeam": "安装一组"},
            {"installDate": "2099-05-12", "installTeam": "安装二组"},
        ],
        "ConfirmInstallationDate": [
            {"dateDecision": "proposed", "proposedDate": "2099-05-12", "confirmNote": "客户 10 日出差，希望改到 12 日"},
            {"dateDecision": "confirmed", "confirmNote": "客户确认 12 日"},
        ],
        "InspectInstallation": [
            {"installResult": "failed", "installFailCause": "门框与墙体缝隙未打胶"},
            {"installResult": "passed", "installFailCause": None},
        ],
    }
    staff.work_until(pid, lambda: completed(live_engine, pid), overrides=overrides, timeout_s=90)

    assert history.incidents(pid) == []
    assert history.visited(pid, "ScheduleInstallation") == 2
    assert history.visited(pid, "IssueInstallationPlan") == 1
    assert history.visited(pid, "FixInstallation") == 1
    with sessions() as s:
        inst = installation_of(s, order["id"])
        assert (inst.scheduled_date, inst.team) == (date(2099, 5, 12), "安装二组")
        rounds = s.scalars(
            select(InstallationInspection)
            .where(InstallationInspection.installation_id == inst.id)
            .order_by(InstallationInspection.round)
        ).all()
        assert [(r.round, r.passed, r.cause) for r in rounds] == [(1, False, "门框与墙体缝隙未打胶"), (2, True, None)]
        assert rounds[1].fix_note and "密封条" in rounds[1].fix_note


def test_site_not_ready_goes_back_to_scheduling(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child, sessions: sessionmaker[Session]
) -> None:
    order, pid = start_installation(api, live_engine, "丽水现场未就绪测试有限公司")
    history = live_engine.history
    staff = SimulatedStaff(live_engine.client, history)
    not_ready = {"siteReady": "no", "goodsDamaged": "no", "checkNotes": "墙面未抹灰，洞口尚未收口"}
    ready = {"siteReady": "yes", "goodsDamaged": "no", "checkNotes": "现场已具备条件"}
    staff.work_until(
        pid, lambda: completed(live_engine, pid), overrides={"PreInstallCheck": [not_ready, ready]}, timeout_s=90
    )

    assert history.incidents(pid) == []
    assert history.visited(pid, "ScheduleInstallation") == 2
    assert history.visited(pid, "ConfirmInstallationDate") == 2
    assert history.visited(pid, "IssueInstallationPlan") == 2  # a new plan for the new date
    assert history.visited(pid, "RequestReplacement") == 0
    with sessions() as s:
        inst = installation_of(s, order["id"])
        checks = s.scalars(select(SiteCheck).where(SiteCheck.installation_id == inst.id).order_by(SiteCheck.id)).all()
        assert [c.site_ready for c in checks] == [False, True]
        plans = s.scalars(
            select(Document).where(Document.order_id == order["id"], Document.kind == "installation_plan")
        )
        assert [d.version for d in plans] == [1, 2]
