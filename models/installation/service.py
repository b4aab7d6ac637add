"""Installation services: open, schedule (plan document), site checks, replacement goods, inspection, completion.

Every function takes the caller's session and never commits; every business change is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import audit
from models.costs import service as costs
from models.documents import service as documents
from models.documents.tables import DocumentCategory
from models.errors import Conflict, InvalidInput, NotFound
from models.installation.tables import (
    Installation,
    InstallationInspection,
    InstallationStatus,
    Replacement,
    SiteCheck,
)
from models.orders.service import get_order
from models.risks import service as risks
from models.risks.tables import RiskSource

PROCESS_ID = "door-installation"
REPLACEMENT_ARRIVED = "ReplacementGoodsArrived"


def get_installation(session: Session, installation_id: int) -> Installation:
    inst = session.get(Installation, installation_id)
    if inst is None:
        raise NotFound("installation", installation_id)
    return inst


def _set_status(session: Session, inst: Installation, status: InstallationStatus, actor: str, **extra: Any) -> None:
    before = inst.status
    inst.status = status
    audit.record(
        session,
        actor=actor,
        action=f"installation.{status.value}",
        entity="installation",
        entity_id=inst.id,
        before={"status": before.value if before else None},
        after={"status": status.value, **extra},
    )


def open_installation(session: Session, order_id: int, default_team: str, *, actor: str) -> dict[str, Any]:
    """The order's installation record (made once) and what the scheduling form shows."""
    order = get_order(session, order_id)
    inst = session.scalars(select(Installation).where(Installation.order_id == order.id)).first()
    if inst is None:
        inst = Installation(
            order_id=order.id, status=InstallationStatus.SCHEDULING, site_address=order.delivery_address
        )
        session.add(inst)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="installation.opened",
            entity="installation",
            entity_id=inst.id,
            after={"order_id": order.id, "site_address": inst.site_address},
        )
    return {
        "installationId": inst.id,
        "siteAddress": inst.site_address,
        "customerName": order.customer_name,
        "customerPhone": order.customer_phone or "",
        "installTeam": inst.team or default_team,
    }


def schedule(
    session: Session, installation_id: int, install_date: date, team: str, site_address: str, *, actor: str
) -> dict[str, Any]:
    """Store the date the customer confirmed and issue the installation plan (安装计划单)."""
    if not team.strip():
        raise InvalidInput(("installTeam",), "must not be empty")
    if not site_address.strip():
        raise InvalidInput(("siteAddress",), "must not be empty")
    inst = get_installation(session, installation_id)
    order = get_order(session, inst.order_id)
    inst.scheduled_date, inst.team, inst.site_address = install_date, team, site_address
    _set_status(
        session, inst, InstallationStatus.PLANNED, actor, date=install_date.isoformat(), team=team, site=site_address
    )
    doc = documents.store(
        session,
        subject=f"order:{order.id}",
        kind="installation_plan",
        category=DocumentCategory.PROJECT,
        title=f"安装计划单 {order.order_number}",
        template="installation-plan.html.j2",
        context={"order": order, "installation": inst},
        actor=actor,
        order_id=order.id,
    )
    return {"installationPlanDocumentId": doc.id}


def record_check(
    session: Session, installation_id: int, site_ready: bool, goods_damaged: bool, notes: str | None, *, actor: str
) -> None:
    """Store a pre-install check; a site that is not ready sends the installation back to scheduling."""
    inst = get_installation(session, installation_id)
    session.add(SiteCheck(installation_id=inst.id, site_ready=site_ready, goods_damaged=goods_damaged, notes=notes))
    audit.record(
        session,
        actor=actor,
        action="installation.checked",
        entity="installation",
        entity_id=inst.id,
        after={"site_ready": site_ready, "goods_damaged": goods_damaged, "notes": notes},
    )
    if not site_ready and not goods_damaged:
        _set_status(session, inst, InstallationStatus.SCHEDULING, actor, reason="site not ready")


def request_replacement(session: Session, installation_id: int, notes: str | None, *, actor: str) -> dict[str, Any]:
    inst = get_installation(session, installation_id)
    replacement = Replacement(installation_id=inst.id, damage_notes=notes)
    session.add(replacement)
    session.flush()
    _set_status(session, inst, InstallationStatus.WAITING_REPLACEMENT, actor, replacement_id=replacement.id)
    costs.accrue_replacement(
        session, inst.order_id, f"installation:{replacement.id}", "安装前发现货物损坏", None, actor=actor
    )
    return {"replacementId": replacement.id}


def replacement_arrived(
    session: Session, order_id: int, note: str | None, publish: Callable[[str, int], None], *, actor: str
) -> Replacement:
    """The replacement goods are on site: record it, then ``publish`` ReplacementGoodsArrived (same transaction;
    the outbox delivers it by business key = the order number, retrying until the installation waits)."""
    order = get_order(session, order_id)
    waiting = session.scalars(
        select(Replacement)
        .join(Installation, Installation.id == Replacement.installation_id)
        .where(Installation.order_id == order.id, Replacement.arrived_at.is_(None))
        .order_by(Replacement.id.desc())
    ).first()
    if waiting is None:
        raise Conflict(f"order {order.order_number} is not waiting for replacement goods")
    waiting.arrived_at = datetime.now(UTC)
    inst = get_installation(session, waiting.installation_id)
    _set_status(session, inst, InstallationStatus.PLANNED, actor, replacement_id=waiting.id, note=note)
    session.flush()
    publish(order.order_number, waiting.id)
    return waiting


def record_inspection(
    session: Session, installation_id: int, passed: bool, cause: str | None, fix_note: str | None, *, actor: str
) -> dict[str, Any]:
    """Store the installation inspection; a failure needs its cause, a re-inspection notes the fix before it."""
    if not passed and not (cause or "").strip():
        raise InvalidInput(("installFailCause",), "a failed inspection needs its cause")
    inst = get_installation(session, installation_id)
    round_ = int(session.scalar(select(func.count()).where(InstallationInspection.installation_id == inst.id)) or 0) + 1
    inspection = InstallationInspection(
        installation_id=inst.id,
        round=round_,
        passed=passed,
        cause=None if passed else cause,
        fix_note=fix_note if round_ > 1 else None,
    )
    session.add(inspection)
    if not passed:
        session.flush()
        risks.raise_auto(
            session,
            inst.order_id,
            RiskSource.INSTALLATION_INSPECTION_FAILED,
            inspection.id,
            f"安装检验不合格（第 {round_} 次）",
            cause,
            "整改后重新检验并由客户验收",
            actor=actor,
        )
        what = f"安装检验第 {round_} 次不合格"
        costs.accrue_rework(session, inst.order_id, f"installation:{inspection.id}", what, actor=actor)
    audit.record(
        session,
        actor=actor,
        action="installation.inspection_passed" if passed else "installation.inspection_failed",
        entity="installation",
        entity_id=inst.id,
        after={"round": round_, "cause": None if passed else cause},
    )
    if inst.status != InstallationStatus.INSTALLED:
        _set_status(session, inst, InstallationStatus.INSTALLED, actor)
    return {"installationInspectionRound": round_}


def complete(session: Session, installation_id: int, install_note: str | None, *, actor: str) -> None:
    inst = get_installation(session, installation_id)
    if inst.status == InstallationStatus.COMPLETED:
        return
    inst.completed_at = datetime.now(UTC)
    _set_status(session, inst, InstallationStatus.COMPLETED, actor, install_note=install_note)


def installation_overview(session: Session, order_id: int) -> dict[str, Any]:
    """An order's installation with its checks, replacements and inspections (for the API)."""
    order = get_order(session, order_id)
    inst = session.scalars(select(Installation).where(Installation.order_id == order.id)).first()
    if inst is None:
        raise NotFound("installation of order", order_id)

    def rows(table: Any, order_by: Any) -> list[Any]:
        return list(session.scalars(select(table).where(table.installation_id == inst.id).order_by(order_by)))

    return {
        "id": inst.id,
        "order_id": inst.order_id,
        "status": inst.status,
        "site_address": inst.site_address,
        "scheduled_date": inst.scheduled_date,
        "team": inst.team,
        "completed_at": inst.completed_at,
        "checks": rows(SiteCheck, SiteCheck.id),
        "replacements": rows(Replacement, Replacement.id),
        "inspections": rows(InstallationInspection, InstallationInspection.round),
    }
