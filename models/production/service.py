"""Production services: plan, review, materials, purchasing, inspections, stage progress, packing, delays.

Every function takes the caller's session and never commits; every business change is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from doorflow.settings import Settings
from models import audit
from models.calendar import WorkCalendar, for_folder
from models.costs import service as costs
from models.documents import service as documents
from models.documents.tables import DocumentCategory
from models.errors import Conflict, InvalidInput, NotFound
from models.orders.service import get_order
from models.orders.tables import Order
from models.production.schemas import DelayIn, ReceiptIn
from models.production.tables import (
    PURCHASE_ORDER_NUMBER_SEQ,
    CraftDocument,
    GoodsReceipt,
    Inspection,
    InspectionKind,
    Material,
    MaterialAllocation,
    MaterialShortage,
    PlanStatus,
    ProductionDelay,
    ProductionPlan,
    ProductionStage,
    ProgressReport,
    PurchaseOrder,
    PurchaseStatus,
    StageStatus,
    Supplier,
)
from models.risks import service as risks
from models.risks.tables import RiskSource
from models.suppliers.tables import SupplierClass

PROCESS_ID = "door-production"
DISQUALIFIED = SupplierClass.DISQUALIFIED.value  # never receives a purchase order
GOODS_RECEIVED = "GoodsReceived"


@dataclass(frozen=True)
class StagePlan:
    name: str
    owner: str
    days: int  # working days


@dataclass(frozen=True)
class PlanConfig:
    """The settings a plan is made from (Settings → here, so the service stays testable)."""

    due_buffer_days: int
    due_time: time
    timezone: str
    stages: Sequence[StagePlan]
    # The working days stages are planned on; the default knows the package's years only (no factory files).
    calendar: WorkCalendar = field(default_factory=WorkCalendar)


@dataclass(frozen=True)
class SupplierPolicy:
    """Which supplier classes may receive purchase orders, best first, and the weights of the scores.

    The class a supplier is in comes from its scorecard (models/suppliers, DMN supplier-class);
    a disqualified supplier (class D) is never picked, whatever the list says.
    """

    qualified_classes: Sequence[str]
    weights: dict[str, Decimal]
    default_lead_time_days: int = 7  # a purchase order is due this long after it is raised


class NoQualifiedSupplier(Conflict):
    """Every supplier of the material is disqualified (or none is listed): purchasing has to act."""

    def __init__(self, material_code: str, material_name: str) -> None:
        super().__init__(f"no qualified supplier for material {material_code}")
        self.material_code = material_code
        self.reason = (
            f"物料 {material_name}（{material_code}）没有可下单的供应商：候选供应商均已取消资格或未列入合格名录。"
        )


def plan_config(settings: Settings) -> PlanConfig:
    """The production plan's configuration ([X] values of the policy) from the settings."""
    return PlanConfig(
        due_buffer_days=settings.production_due_buffer_days,
        due_time=settings.production_due_time,
        timezone=settings.factory_timezone,
        stages=[StagePlan(s.name, s.owner, s.days) for s in settings.production_stages],
        calendar=for_folder(settings.workdays_dir),
    )


def supplier_policy(settings: Settings) -> SupplierPolicy:
    try:
        weights = {k: Decimal(v) for k, v in settings.supplier_score_weights.items()}
    except InvalidOperation as exc:
        raise ValueError(f"supplier_score_weights must be decimals: {settings.supplier_score_weights}") from exc
    if DISQUALIFIED in settings.supplier_qualified_classes:
        raise ValueError(f"supplier_qualified_classes must not contain the disqualified class {DISQUALIFIED}")
    return SupplierPolicy(
        qualified_classes=settings.supplier_qualified_classes,
        weights=weights,
        default_lead_time_days=settings.supplier_default_lead_time_days,
    )


def delivery_date(order: Order) -> date:
    """The date promised to the customer: the agreed one when sales renegotiated it, else the requested one."""
    return order.delivery_date


def due_instant(due: date, cfg: PlanConfig) -> str:
    """The production due date's end as an ISO date-time in UTC (``…Z``), for the diagram's timer.

    Kept a String variable: the timer cycle ``R/${productionDueAt}/<interval>`` splices it
    into an ISO 8601 repeating interval (a Date variable would print as ``Tue Jun 23 …``).
    """
    local = datetime.combine(due, cfg.due_time, ZoneInfo(cfg.timezone))
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def current_craft_document(session: Session) -> CraftDocument:
    doc = session.scalars(
        select(CraftDocument).where(CraftDocument.is_current.is_(True)).order_by(CraftDocument.effective_from.desc())
    ).first()
    if doc is None:
        raise NotFound("current craft document", "-")
    return doc


def get_plan(session: Session, plan_id: int) -> ProductionPlan:
    plan = session.get(ProductionPlan, plan_id)
    if plan is None:
        raise NotFound("production plan", plan_id)
    return plan


def create_plan(session: Session, order_id: int, cfg: PlanConfig, *, actor: str) -> dict[str, Any]:
    """Make the order's next plan version: stages scheduled backwards from the production due date.

    Stages last and end on working days (China's calendar, models/calendar.py): the last one ends on the
    last working day not after the due date, each earlier one on the working day before the next starts.
    A year without an official schedule counts Monday to Friday, and the plan carries the warning.
    """
    order = get_order(session, order_id)
    if not cfg.stages:
        raise InvalidInput(("settings", "production_stages"), "at least one stage is needed")
    latest = session.scalar(select(func.max(ProductionPlan.version)).where(ProductionPlan.order_id == order.id))
    craft = current_craft_document(session)
    due = delivery_date(order) - timedelta(days=cfg.due_buffer_days)
    plan = ProductionPlan(
        order_id=order.id, version=(latest or 0) + 1, status=PlanStatus.DRAFT, craft_document_id=craft.id, due_date=due
    )
    cal = cfg.calendar
    cursor = cal.on_or_before(due)
    scheduled: list[ProductionStage] = []
    for seq, stage in reversed(list(enumerate(cfg.stages, start=1))):
        start = cal.span_back(cursor, stage.days)
        scheduled.append(
            ProductionStage(seq=seq, name=stage.name, owner=stage.owner, planned_start=start, milestone=cursor)
        )
        cursor = cal.on_or_before(start - timedelta(days=1))
    plan.stages = sorted(scheduled, key=lambda s: s.seq)
    plan.calendar_warning = cal.warning(plan.stages[0].planned_start, due)
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="production_plan.created",
        entity="production_plan",
        entity_id=plan.id,
        after={
            "order_id": order.id,
            "version": plan.version,
            "craft": f"{craft.code} {craft.version}",
            "due": str(due),
            "calendar_warning": plan.calendar_warning,
        },
    )
    return {
        "planId": plan.id,
        "planVersion": plan.version,
        "craftDocument": f"{craft.code} {craft.version}",
        "customerName": order.customer_name,
        "productionDueDate": due.isoformat(),
        # The diagram's non-interrupting timer cycle R/${productionDueAt}/<interval>: first at the due time, then
        # every production_due_check_interval, which the engine reads from configuration (not a variable).
        "productionDueAt": due_instant(due, cfg),
        "delayReportOpen": False,
        # The stages are stored; the sequential multi-instance loads stage loopCounter + 1 (load_stage).
        "stageCount": len(plan.stages),
    }


def load_stage(session: Session, plan_id: int, index: int) -> dict[str, Any]:
    """The plan's stage number ``index`` (0-based, the multi-instance loopCounter) for its progress reports."""
    stage = session.scalars(
        select(ProductionStage).where(ProductionStage.plan_id == plan_id, ProductionStage.seq == index + 1)
    ).first()
    if stage is None:
        raise NotFound("production stage", f"{plan_id}#{index}")
    return {
        "stageId": stage.id,
        "stageName": stage.name,
        "stageOwner": stage.owner,
        "stagePlannedStart": stage.planned_start.isoformat(),
        "stageMilestone": stage.milestone.isoformat(),
    }


def record_review(session: Session, plan_id: int, approved: bool, comments: str | None, *, actor: str) -> None:
    """The technical department's verdict; a rejected plan keeps its comments for the next version."""
    plan = get_plan(session, plan_id)
    if not approved and not (comments or "").strip():
        raise InvalidInput(("planReviewComments",), "a rejected plan needs review comments")
    if plan.status != PlanStatus.DRAFT:
        return  # already reviewed: the same verdict again changes nothing
    before = plan.status
    plan.status = PlanStatus.APPROVED if approved else PlanStatus.REJECTED
    plan.review_comments = comments
    plan.reviewed_by = "technical"
    audit.record(
        session,
        actor=actor,
        action="production_plan.approved" if approved else "production_plan.rejected",
        entity="production_plan",
        entity_id=plan.id,
        before={"status": before.value},
        after={"status": plan.status.value, "comments": comments},
    )


def _requirements(order: Order, bom: dict[str, dict[str, str]]) -> dict[str, Decimal]:
    needed: dict[str, Decimal] = {}
    for line in order.lines:
        per_door = bom.get(line.door_type.value)
        if per_door is None:
            raise InvalidInput(("settings", "production_bom", line.door_type.value), "no bill of materials")
        for code, qty in per_door.items():
            try:
                amount = Decimal(qty) * line.quantity
            except InvalidOperation as exc:
                raise InvalidInput(("settings", "production_bom", line.door_type.value, code), "not a number") from exc
            needed[code] = needed.get(code, Decimal("0")) + amount
    return needed


def _allocated(session: Session, order_id: int, material_id: int) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(MaterialAllocation.quantity), 0)).where(
            MaterialAllocation.order_id == order_id, MaterialAllocation.material_id == material_id
        )
    )
    return Decimal(total or 0)


def _shortage_out(shortage: MaterialShortage) -> dict[str, str]:
    return {
        "materialCode": shortage.material.code,
        "materialName": shortage.material.name,
        "quantity": f"{Decimal(shortage.quantity).normalize():f}",
        "unit": shortage.material.unit,
    }


def stored_shortages(session: Session, plan_id: int) -> list[MaterialShortage]:
    return list(
        session.scalars(
            select(MaterialShortage).where(MaterialShortage.plan_id == plan_id).order_by(MaterialShortage.seq)
        )
    )


def check_materials(
    session: Session, plan_id: int, bom: dict[str, dict[str, str]], *, actor: str
) -> list[dict[str, str]]:
    """Set aside what stock has for the plan's order; store and return what is short, one entry per material.

    The shortages are stored by plan (``seq`` 1, 2 …): the purchase multi-instance loads each by its index.
    A plan checked before keeps its stored shortages.
    """
    plan = get_plan(session, plan_id)
    order = get_order(session, plan.order_id)
    earlier = stored_shortages(session, plan.id)
    if earlier:
        return [_shortage_out(s) for s in earlier]
    shortages: list[dict[str, str]] = []
    for code, required in sorted(_requirements(order, bom).items()):
        material = session.scalars(select(Material).where(Material.code == code).with_for_update()).first()
        if material is None:
            raise InvalidInput(("settings", "production_bom"), f"unknown material {code}")
        need = required - _allocated(session, order.id, material.id)
        take = min(max(material.on_hand, Decimal("0")), max(need, Decimal("0")))
        if take > 0:
            material.on_hand -= take
            session.add(MaterialAllocation(order_id=order.id, material_id=material.id, quantity=take, source="stock"))
            audit.record(
                session,
                actor=actor,
                action="material.allocated",
                entity="material",
                entity_id=material.code,
                before={"on_hand": str(material.on_hand + take)},
                after={"on_hand": str(material.on_hand), "order_id": order.id, "quantity": str(take)},
            )
        if need - take > 0:
            shortage = MaterialShortage(
                plan_id=plan.id, seq=len(shortages) + 1, material_id=material.id, quantity=need - take
            )
            shortage.material = material
            session.add(shortage)
            shortages.append(_shortage_out(shortage))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="materials.checked",
        entity="order",
        entity_id=order.id,
        after={"plan_id": plan.id, "shortages": shortages},
    )
    costs.accrue_stock_issues(session, order.id, actor=actor)
    return shortages


def weighted_score(supplier: Supplier, weights: dict[str, Decimal]) -> Decimal:
    return (
        supplier.quality_score * weights.get("quality", Decimal(0))
        + supplier.lead_time_score * weights.get("lead_time", Decimal(0))
        + supplier.price_score * weights.get("price", Decimal(0))
        + supplier.service_score * weights.get("service", Decimal(0))
    )


def choose_supplier(
    session: Session, material_code: str, policy: SupplierPolicy, avoid: Sequence[int] = ()
) -> Supplier:
    """The supplier of the material to order from: better class first, then the best weighted score.

    Only classes of the policy's list count (their order is the ranking); a disqualified supplier is
    never picked. One that just failed an inspection is avoided if another candidate exists. No
    candidate at all raises NoQualifiedSupplier (the diagram's purchasing task, not an incident).
    """
    rank = {c: i for i, c in enumerate(policy.qualified_classes) if c != DISQUALIFIED}
    candidates = [
        s
        for s in session.scalars(select(Supplier).where(Supplier.qualification_class.in_(list(rank))))
        if material_code in s.materials
    ]
    if not candidates:
        material = session.scalars(select(Material).where(Material.code == material_code)).first()
        raise NoQualifiedSupplier(material_code, material.name if material else material_code)
    preferred = [s for s in candidates if s.id not in avoid] or candidates
    return min(preferred, key=lambda s: (rank[s.qualification_class], -weighted_score(s, policy.weights), s.id))


def _describe(po: PurchaseOrder) -> str:
    return f"{po.number}：{po.material.name} {po.quantity.normalize():f} {po.material.unit}，供应商 {po.supplier.name}"


def _new_purchase_order(
    session: Session,
    order_id: int,
    material: Material,
    quantity: Decimal,
    supplier: Supplier,
    replaces: int | None,
    today: date,
    default_lead_days: int = 7,
) -> PurchaseOrder:
    """A new purchase order at the supplier's quoted price, due after its lead time (else ``default_lead_days``)."""
    seq = session.execute(PURCHASE_ORDER_NUMBER_SEQ.next_value()).scalar_one()
    quoted = (supplier.unit_prices or {}).get(material.code)
    lead_days = supplier.lead_time_days if supplier.lead_time_days is not None else default_lead_days
    po = PurchaseOrder(
        number=f"PO{today:%Y%m%d}-{seq:05d}",
        order_id=order_id,
        material=material,
        supplier=supplier,
        quantity=quantity,
        status=PurchaseStatus.ORDERED,
        replaces_id=replaces,
        unit_price=Decimal(quoted) if quoted is not None else None,
        due_date=today + timedelta(days=lead_days),
    )
    session.add(po)
    session.flush()
    return po


def raise_purchase_order(
    session: Session,
    plan_id: int,
    index: int,
    policy: SupplierPolicy,
    *,
    actor: str,
    today: date,
    remedy_note: str | None = None,
) -> dict[str, str]:
    """Order the plan's shortage number ``index`` (0-based, the multi-instance loopCounter) from the best
    qualified supplier; returns the PO number the diagram's instance waits on (its local correlation key).
    ``today`` (the factory's day) dates the PO number; ``remedy_note`` is what purchasing did when no
    supplier was available before (kept in the audit entry)."""
    shortage = session.scalars(
        select(MaterialShortage).where(MaterialShortage.plan_id == plan_id, MaterialShortage.seq == index + 1)
    ).first()
    if shortage is None:
        raise NotFound("material shortage", f"{plan_id}#{index}")
    material, quantity = shortage.material, shortage.quantity
    if quantity <= 0:
        raise InvalidInput(("shortage", "quantity"), "must be positive")
    order = get_order(session, get_plan(session, plan_id).order_id)
    supplier = choose_supplier(session, material.code, policy)
    po = _new_purchase_order(
        session, order.id, material, quantity, supplier, None, today, policy.default_lead_time_days
    )
    audit.record(
        session,
        actor=actor,
        action="purchase_order.created",
        entity="purchase_order",
        entity_id=po.number,
        after={
            "order_id": order.id,
            "material": material.code,
            "quantity": str(quantity),
            "supplier": supplier.name,
            "supplier_class": supplier.qualification_class,
            "unit_price": None if po.unit_price is None else str(po.unit_price),
            "due_date": str(po.due_date),
            "remedy_note": remedy_note,
        },
    )
    return {"purchaseOrderNumber": po.number, "purchaseDescription": _describe(po)}


def get_purchase_order(session: Session, number: str) -> PurchaseOrder:
    po = session.scalars(select(PurchaseOrder).where(PurchaseOrder.number == number)).first()
    if po is None:
        raise NotFound("purchase order", number)
    return po


def list_purchase_orders(session: Session, order_id: int) -> list[PurchaseOrder]:
    get_order(session, order_id)
    return list(
        session.scalars(select(PurchaseOrder).where(PurchaseOrder.order_id == order_id).order_by(PurchaseOrder.id))
    )


WAITING_FOR_GOODS = (PurchaseStatus.ORDERED, PurchaseStatus.PARTIALLY_RECEIVED)


def receive_goods(
    session: Session, number: str, data: ReceiptIn, publish: Callable[[str, int], None], *, actor: str
) -> GoodsReceipt:
    """Record a delivery against a purchase order; once all of it has arrived, ``publish`` GoodsReceived.

    Receipts accumulate: a short delivery keeps the order open for the rest and sends no message, so
    the purchase instance keeps waiting at its GoodsReceived event. A delivery beyond what is still
    outstanding is refused (InvalidInput naming ``quantity``): the surplus goes back to the supplier.
    The message goes through the outbox (retried until its purchase instance waits, or its TTL ends)
    and is correlated by the local correlation key ``purchaseOrderNumber`` of the waiting event. The
    purchase order row is locked, so two receipts arriving together cannot both fit the outstanding rest.
    """
    po = session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.number == number)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if po is None:
        raise NotFound("purchase order", number)
    if po.status not in WAITING_FOR_GOODS:
        raise Conflict(f"purchase order {number} is {po.status.value}, not waiting for goods")
    before = po.received_quantity
    outstanding = po.outstanding_quantity
    if data.quantity > outstanding:
        raise InvalidInput(
            ("body", "quantity"),
            f"{data.quantity.normalize():f} exceeds the {outstanding.normalize():f} still outstanding on purchase "
            f"order {number} (ordered {po.quantity.normalize():f}, received {before.normalize():f}); "
            "an over-delivery is refused",
        )
    receipt = GoodsReceipt(
        purchase_order_id=po.id, quantity=data.quantity, delivery_note=data.delivery_note, received_by=data.received_by
    )
    po.receipts.append(receipt)
    status_before = po.status
    received = before + data.quantity
    po.status = PurchaseStatus.RECEIVED if received == po.quantity else PurchaseStatus.PARTIALLY_RECEIVED
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="goods.received",
        entity="purchase_order",
        entity_id=po.number,
        before={"status": status_before.value, "received_quantity": str(before)},
        after={
            "status": po.status.value,
            "quantity": str(data.quantity),
            "received_quantity": str(received),
            "outstanding_quantity": str(po.quantity - received),
            "delivery_note": data.delivery_note,
        },
    )
    costs.accrue_receipt(session, receipt, actor=actor)
    if po.status == PurchaseStatus.RECEIVED:
        publish(po.number, receipt.id)
    return receipt


def _inspection_round(session: Session, order_id: int, kind: InspectionKind, po_id: int | None = None) -> int:
    query = select(func.count()).where(Inspection.order_id == order_id, Inspection.kind == kind)
    if po_id is not None:
        query = query.where(Inspection.purchase_order_id == po_id)
    return int(session.scalar(query) or 0) + 1


def _received(session: Session, number: str) -> PurchaseOrder:
    po = get_purchase_order(session, number)
    if po.status != PurchaseStatus.RECEIVED:
        raise Conflict(f"purchase order {number} is {po.status.value}; only received goods are inspected")
    return po


def accept_goods(session: Session, number: str, *, actor: str) -> None:
    """Incoming inspection passed: the goods go into stock and are set aside for the order."""
    po = _received(session, number)
    session.add(
        Inspection(
            order_id=po.order_id,
            kind=InspectionKind.INCOMING,
            purchase_order_id=po.id,
            round=_inspection_round(session, po.order_id, InspectionKind.INCOMING, po.id),
            passed=True,
        )
    )
    # Bought for this order: booked into stock and straight out to the order's allocation, so the
    # free stock other orders see is unchanged.
    arrived = po.received_quantity
    session.add(
        MaterialAllocation(order_id=po.order_id, material_id=po.material_id, quantity=arrived, source=po.number)
    )
    po.status = PurchaseStatus.ACCEPTED
    audit.record(
        session,
        actor=actor,
        action="goods.accepted",
        entity="purchase_order",
        entity_id=po.number,
        before={"status": PurchaseStatus.RECEIVED.value},
        after={"status": po.status.value, "stock_in": str(arrived), "allocated_to_order": po.order_id},
    )


def return_and_reorder(
    session: Session,
    number: str,
    cause: str | None,
    policy: SupplierPolicy,
    *,
    actor: str,
    today: date,
    remedy_note: str | None = None,
) -> dict[str, str]:
    """Incoming inspection failed: return the goods and order the same quantity again (a new PO)."""
    if not (cause or "").strip():
        raise InvalidInput(("incomingFailCause",), "a failed inspection needs its cause")
    po = _received(session, number)
    inspection = Inspection(
        order_id=po.order_id,
        kind=InspectionKind.INCOMING,
        purchase_order_id=po.id,
        round=_inspection_round(session, po.order_id, InspectionKind.INCOMING, po.id),
        passed=False,
        cause=cause,
    )
    session.add(inspection)
    session.flush()
    risks.raise_auto(
        session,
        po.order_id,
        RiskSource.INCOMING_INSPECTION_FAILED,
        inspection.id,
        f"来料检验不合格：{po.number} {po.material.name}",
        cause,
        "退货并向其他合格供应商重新采购",
        actor=actor,
    )
    costs.accrue_return(session, po, actor=actor)
    po.status = PurchaseStatus.RETURNED
    failed_suppliers = session.scalars(
        select(PurchaseOrder.supplier_id).where(
            PurchaseOrder.order_id == po.order_id,
            PurchaseOrder.material_id == po.material_id,
            PurchaseOrder.status == PurchaseStatus.RETURNED,
        )
    ).all()
    supplier = choose_supplier(session, po.material.code, policy, avoid=list(failed_suppliers))
    new = _new_purchase_order(
        session, po.order_id, po.material, po.quantity, supplier, po.id, today, policy.default_lead_time_days
    )
    audit.record(
        session,
        actor=actor,
        action="goods.returned",
        entity="purchase_order",
        entity_id=po.number,
        before={"status": PurchaseStatus.RECEIVED.value},
        after={"status": po.status.value, "cause": cause, "reordered_as": new.number},
    )
    audit.record(
        session,
        actor=actor,
        action="purchase_order.created",
        entity="purchase_order",
        entity_id=new.number,
        after={
            "order_id": po.order_id,
            "replaces": po.number,
            "supplier": supplier.name,
            "supplier_class": supplier.qualification_class,
            "quantity": str(po.quantity),
            "remedy_note": remedy_note,
        },
    )
    return {"purchaseOrderNumber": new.number, "purchaseDescription": _describe(new)}


def record_progress(
    session: Session, stage_id: int, percent: int, note: str | None, completed: bool, *, actor: str
) -> None:
    """Store a stage's progress report; a completed stage is at 100 %."""
    stage = session.get(ProductionStage, stage_id)
    if stage is None:
        raise NotFound("production stage", stage_id)
    if not 0 <= percent <= 100:
        raise InvalidInput(("progressPercent",), "must be between 0 and 100")
    if completed:
        percent = 100
    before = {"status": stage.status.value, "percent": stage.progress_percent}
    session.add(ProgressReport(stage_id=stage.id, percent=percent, note=note, completed=completed))
    stage.progress_percent = percent
    stage.status = StageStatus.COMPLETED if completed else StageStatus.IN_PROGRESS
    if completed:
        stage.completed_at = datetime.now(UTC)
        costs.accrue_stage_work(session, stage, actor=actor)
    audit.record(
        session,
        actor=actor,
        action="production_stage.progress",
        entity="production_stage",
        entity_id=stage.id,
        before=before,
        after={"status": stage.status.value, "percent": percent, "note": note},
    )


def record_final_inspection(
    session: Session, plan_id: int, passed: bool, cause: str | None, rework_note: str | None, *, actor: str
) -> dict[str, Any]:
    """Store the finished goods' inspection; a failure needs its cause (the rework is done against it)."""
    plan = get_plan(session, plan_id)
    if not passed and not (cause or "").strip():
        raise InvalidInput(("finalFailCause",), "a failed inspection needs its cause")
    round_ = _inspection_round(session, plan.order_id, InspectionKind.FINAL)
    inspection = Inspection(
        order_id=plan.order_id,
        kind=InspectionKind.FINAL,
        round=round_,
        passed=passed,
        cause=None if passed else cause,
        rework_note=rework_note if round_ > 1 else None,
    )
    session.add(inspection)
    if not passed:
        session.flush()
        risks.raise_auto(
            session,
            plan.order_id,
            RiskSource.FINAL_INSPECTION_FAILED,
            inspection.id,
            f"成品检验不合格（第 {round_} 次）",
            cause,
            "按不合格原因返工并复检",
            actor=actor,
        )
        what = f"成品检验第 {round_} 次不合格"
        costs.accrue_rework(session, plan.order_id, f"final:{inspection.id}", what, actor=actor)
    audit.record(
        session,
        actor=actor,
        action="final_inspection.passed" if passed else "final_inspection.failed",
        entity="order",
        entity_id=plan.order_id,
        after={"round": round_, "cause": None if passed else cause, "rework_note": rework_note if round_ > 1 else None},
    )
    return {"finalInspectionRound": round_}


def _work_order_context(session: Session, plan: ProductionPlan, order: Order) -> dict[str, Any]:
    allocations = session.execute(
        select(Material.name, Material.unit, func.sum(MaterialAllocation.quantity))
        .join(Material, Material.id == MaterialAllocation.material_id)
        .where(MaterialAllocation.order_id == order.id)
        .group_by(Material.name, Material.unit)
        .order_by(Material.name)
    ).all()
    inspections = session.scalars(
        select(Inspection).where(Inspection.order_id == order.id).order_by(Inspection.id)
    ).all()
    return {
        "order": order,
        "plan": plan,
        "craft": plan.craft_document,
        "stages": plan.stages,
        "materials": [{"name": n, "unit": u, "quantity": q} for n, u, q in allocations],
        "inspections": inspections,
    }


def pack(session: Session, plan_id: int, *, actor: str) -> dict[str, Any]:
    """Mark the goods packed and issue the production work order (生产任务单) as a stored document."""
    plan = get_plan(session, plan_id)
    order = get_order(session, plan.order_id)
    if plan.status != PlanStatus.PACKED:
        before = plan.status
        plan.status = PlanStatus.PACKED
        plan.packed_at = datetime.now(UTC)
        audit.record(
            session,
            actor=actor,
            action="production.packed",
            entity="production_plan",
            entity_id=plan.id,
            before={"status": before.value},
            after={"status": plan.status.value},
        )
    doc = documents.store(
        session,
        subject=f"order:{order.id}",
        kind="work_order",
        category=DocumentCategory.PROJECT,
        title=f"生产任务单 {order.order_number}",
        template="work-order.html.j2",
        context=_work_order_context(session, plan, order),
        actor=actor,
        order_id=order.id,
    )
    return {"workOrderDocumentId": doc.id}


def record_delay(session: Session, plan_id: int, data: DelayIn, *, actor: str) -> dict[str, Any]:
    """Record a production delay and the notice that informs the customer of the new date."""
    plan = get_plan(session, plan_id)
    order = get_order(session, plan.order_id)
    if data.new_due_date <= plan.due_date:
        raise InvalidInput(("newDueDate",), f"must be after the current due date {plan.due_date}")
    delay = ProductionDelay(
        order_id=order.id,
        plan_id=plan.id,
        cause=data.cause,
        cause_detail=data.cause_detail,
        remedy=data.remedy,
        old_due_date=plan.due_date,
        new_due_date=data.new_due_date,
        responsibility=data.responsibility,
        customer_informed=True,
    )
    session.add(delay)
    session.flush()
    notice = documents.store(
        session,
        subject=f"delay:{delay.id}",
        kind="delay_notice",
        category=DocumentCategory.CUSTOMER,
        title=f"生产延期告知函 {order.order_number}",
        template="production-delay-notice.html.j2",
        context={"order": order, "delay": delay},
        actor=actor,
        order_id=order.id,
    )
    delay.notice_document_id = notice.id
    risks.raise_auto(
        session,
        order.id,
        RiskSource.PRODUCTION_DELAY,
        delay.id,
        f"生产延期：{plan.due_date} → {data.new_due_date}",
        data.cause_detail,
        data.remedy,
        actor=actor,
    )
    old_due = plan.due_date
    plan.due_date = data.new_due_date  # the plan now works to the date the customer was told
    audit.record(
        session,
        actor=actor,
        action="production.delayed",
        entity="production_plan",
        entity_id=plan.id,
        before={"due_date": str(old_due)},
        after={
            "new_due_date": str(data.new_due_date),
            "cause": data.cause.value,
            "responsibility": data.responsibility,
            "customer_informed": True,
            "notice_document_id": notice.id,
        },
    )
    return {"delayId": delay.id, "delayNoticeDocumentId": notice.id, "delayReportOpen": False}


def check_due(
    session: Session, plan_id: int, now: datetime, report_open: bool, cfg: PlanConfig, *, actor: str
) -> dict[str, Any]:
    """Is production late against the plan's current due date (moved by changes and reported delays)?

    A delay already being reported is not raised twice; a packed plan is never late.
    """
    plan = get_plan(session, plan_id)
    due_at = datetime.fromisoformat(due_instant(plan.due_date, cfg).replace("Z", "+00:00"))
    late = not report_open and plan.packed_at is None and now >= due_at
    if late:
        audit.record(
            session,
            actor=actor,
            action="production.late",
            entity="production_plan",
            entity_id=plan.id,
            after={"due_date": plan.due_date.isoformat(), "checked_at": now.isoformat()},
        )
    return {"productionLate": late, "delayReportOpen": report_open or late}


def production_overview(session: Session, order_id: int) -> dict[str, Any]:
    """The latest plan of an order with its stages, every inspection and every delay (for the API)."""
    order = get_order(session, order_id)
    plan = session.scalars(
        select(ProductionPlan).where(ProductionPlan.order_id == order.id).order_by(ProductionPlan.version.desc())
    ).first()
    if plan is None:
        raise NotFound("production plan of order", order_id)
    return {
        "plan_id": plan.id,
        "version": plan.version,
        "status": plan.status,
        "craft_document": f"{plan.craft_document.code} {plan.craft_document.version}",
        "due_date": plan.due_date,
        "review_comments": plan.review_comments,
        "calendar_warning": plan.calendar_warning,
        "stages": plan.stages,
        "inspections": list(
            session.scalars(select(Inspection).where(Inspection.order_id == order.id).order_by(Inspection.id))
        ),
        "delays": list(
            session.scalars(
                select(ProductionDelay).where(ProductionDelay.order_id == order.id).order_by(ProductionDelay.id)
            )
        ),
    }


def shift_plan_for_change(session: Session, order_id: int, days: int, reason: str, *, actor: str) -> int | None:
    """An applied change that costs ``days`` of schedule moves the current plan's open milestones and due date.

    The plan being worked on is adjusted in place (the running production goes on); finished stages keep
    their dates. Returns the adjusted plan's id, or None when there is no plan yet or nothing to move.
    """
    plan = session.scalars(
        select(ProductionPlan).where(ProductionPlan.order_id == order_id).order_by(ProductionPlan.version.desc())
    ).first()
    if plan is None or plan.packed_at is not None or days <= 0:
        return None
    shift = timedelta(days=days)
    before = {"due_date": plan.due_date.isoformat(), "milestones": [s.milestone.isoformat() for s in plan.stages]}
    plan.due_date += shift
    for stage in plan.stages:
        if stage.status == StageStatus.COMPLETED:
            continue
        if stage.status == StageStatus.PLANNED:
            stage.planned_start += shift
        stage.milestone += shift
    audit.record(
        session,
        actor=actor,
        action="production_plan.adjusted",
        entity="production_plan",
        entity_id=plan.id,
        before=before,
        after={
            "due_date": plan.due_date.isoformat(),
            "milestones": [s.milestone.isoformat() for s in plan.stages],
            "reason": reason,
        },
    )
    session.flush()
    return plan.id
