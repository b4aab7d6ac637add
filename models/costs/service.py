"""Cost budget vs actual per order (policy 001 §7).

The budget is made when the contract is signed (materials from the bill of materials × the price list, labour
from the stage plan × the labour rate, overhead at the overhead rate) and stored with its inputs, one row per
order and version; an applied change with an assessed cost adds a version. The actual cost accrues from the
facts as they are recorded (stock set aside, goods received and returned, stages finished, rework, replacement
goods), one row per fact keyed by it, so a fact delivered twice adds nothing. Actual overhead is absorbed at
the budget's overhead rate on the actual direct cost. When the actual total passes the budget by more than the
budget's overrun share the order is flagged (``cost_overruns``, audit ``cost.overrun_flagged``).

Every function takes the caller's session and never commits. The rates come from the order's budget (its
stored inputs); before an order has a budget, from the settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from doorflow.settings import Settings, get_settings
from models import audit
from models.calendar import WorkCalendar, for_folder
from models.clock import factory_day_of, factory_today
from models.costs.schemas import (
    KIND_LABELS,
    AccrualOut,
    BudgetOut,
    CostKindTotal,
    CostReport,
    CostReportRow,
    OrderCost,
)
from models.costs.tables import AccrualKind, CostAccrual, CostBudget, CostOverrun, MaterialPrice
from models.errors import InvalidInput, NotFound
from models.orders.service import get_order
from models.orders.tables import DoorLine, Order
from models.production.tables import (
    GoodsReceipt,
    Material,
    MaterialAllocation,
    ProductionPlan,
    ProductionStage,
    PurchaseOrder,
)

CENT = Decimal("0.01")
FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class CostPolicy:
    """The settings a budget and the accruals are priced with (Settings → here, so services stay testable)."""

    labour_rate: Decimal  # CNY per door and working day of a stage
    overhead_rate: Decimal  # share of the direct cost
    rework_labour_share: Decimal  # share of the budgeted labour one failed inspection costs
    overrun_share: Decimal  # tolerated share above the budget
    bom: dict[str, dict[str, str]]  # door type → material code → quantity per door
    stages: Sequence[tuple[str, int]]  # stage name, working days
    timezone: str = "Asia/Shanghai"
    calendar: WorkCalendar = field(default_factory=WorkCalendar)


def policy_from_settings(settings: Settings) -> CostPolicy:
    return CostPolicy(
        labour_rate=settings.cost_labour_rate,
        overhead_rate=settings.cost_overhead_rate,
        rework_labour_share=settings.cost_rework_labour_share,
        overrun_share=settings.cost_overrun_share,
        bom=settings.production_bom,
        stages=[(s.name, s.days) for s in settings.production_stages],
        timezone=settings.factory_timezone,
        calendar=for_folder(settings.workdays_dir),
    )


def current_policy() -> CostPolicy:
    """The process's settings as a policy: for the hooks inside other domains' services, which get no settings."""
    return policy_from_settings(get_settings())


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


# --- the price list ----------------------------------------------------------------------------------------


def unit_price(session: Session, material_code: str, on: date) -> Decimal | None:
    """The material's price valid on ``on`` (the newest entry from that day or before); None when unpriced.

    An unpriced material never stops production: it is costed at 0 and named in the cost sheet's
    ``unpriced_materials`` so that purchasing enters its price.
    """
    price = session.scalar(
        select(MaterialPrice.unit_price)
        .where(MaterialPrice.material_code == material_code, MaterialPrice.valid_from <= on)
        .order_by(MaterialPrice.valid_from.desc())
        .limit(1)
    )
    return None if price is None else Decimal(price)


def _priced(price: Decimal | None) -> Decimal:
    return Decimal("0") if price is None else price


def _price_text(price: Decimal | None) -> str | None:
    return None if price is None else str(price)


def _unpriced_note(price: Decimal | None) -> str:
    return "（无价格，按 0 计）" if price is None else ""


def _door_materials(door_type: str, policy: CostPolicy) -> dict[str, Decimal]:
    per_door = policy.bom.get(door_type)
    if per_door is None:
        raise InvalidInput(("settings", "production_bom", door_type), "no bill of materials")
    try:
        return {code: Decimal(qty) for code, qty in per_door.items()}
    except InvalidOperation as exc:
        raise InvalidInput(("settings", "production_bom", door_type), "not a number") from exc


def _stage_days(policy: CostPolicy) -> int:
    return sum(days for _, days in policy.stages)


def door_standard_cost(
    session: Session, door_type: str, policy: CostPolicy, on: date
) -> tuple[Decimal, dict[str, Any]]:
    """The direct cost of one door of a type: its bill of materials at today's prices and its stage labour."""
    materials = sum(
        (qty * _priced(unit_price(session, code, on)) for code, qty in _door_materials(door_type, policy).items()),
        Decimal("0"),
    )
    labour = Decimal(_stage_days(policy)) * policy.labour_rate
    basis = {"door_type": door_type, "materials": str(_money(materials)), "labour": str(_money(labour))}
    return _money(materials + labour), basis


# --- the budget --------------------------------------------------------------------------------------------


def latest_budget(session: Session, order_id: int) -> CostBudget | None:
    return session.scalars(
        select(CostBudget).where(CostBudget.order_id == order_id).order_by(CostBudget.version.desc()).limit(1)
    ).first()


def _compute(session: Session, order: Order, policy: CostPolicy, on: date) -> dict[str, Any]:
    needed: dict[str, Decimal] = {}
    for line in order.lines:
        for code, qty in _door_materials(line.door_type.value, policy).items():
            needed[code] = needed.get(code, Decimal("0")) + qty * line.quantity
    names: dict[str, str] = {
        code: name
        for code, name in session.execute(select(Material.code, Material.name).where(Material.code.in_(list(needed))))
    }
    material_rows = []
    for code, qty in sorted(needed.items()):
        price = unit_price(session, code, on)
        material_rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "quantity": _plain(qty),
                "unit_price": None if price is None else str(price),
                "amount": str(_money(qty * _priced(price))),
            }
        )
    doors = sum(line.quantity for line in order.lines)
    stage_rows = [
        {
            "name": name,
            "days": days,
            "doors": doors,
            "rate": str(policy.labour_rate),
            "amount": str(_money(Decimal(days * doors) * policy.labour_rate)),
        }
        for name, days in policy.stages
    ]
    materials = sum((Decimal(str(r["amount"])) for r in material_rows), Decimal("0.00"))
    labour = sum((Decimal(str(r["amount"])) for r in stage_rows), Decimal("0.00"))
    return {
        "materials": materials,
        "labour": labour,
        "overhead": _money((materials + labour) * policy.overhead_rate),
        "inputs": {
            "priced_on": on.isoformat(),
            "materials": material_rows,
            "stages": stage_rows,
            "doors": doors,
            "labour_rate": str(policy.labour_rate),
            "overhead_rate": str(policy.overhead_rate),
            "rework_labour_share": str(policy.rework_labour_share),
            "overrun_share": str(policy.overrun_share),
            "changes": [],
        },
    }


def _insert_budget(session: Session, values: dict[str, Any]) -> CostBudget | None:
    """Insert unless the order already has a budget from this source (or this version): then None."""
    new_id = session.execute(
        pg_insert(CostBudget).values(**values).on_conflict_do_nothing().returning(CostBudget.id)
    ).scalar_one_or_none()
    return None if new_id is None else session.get(CostBudget, new_id)


def create_budget(
    session: Session, order_id: int, source: str, *, actor: str, policy: CostPolicy | None = None
) -> CostBudget:
    """The order's budget from ``source`` (e.g. the signed contract version); the same source again returns it."""
    existing = session.scalars(
        select(CostBudget).where(CostBudget.order_id == order_id, CostBudget.source == source)
    ).first()
    if existing is not None:
        return existing
    policy = policy or current_policy()
    order = get_order(session, order_id)
    figures = _compute(session, order, policy, factory_today(policy.timezone))
    previous = latest_budget(session, order.id)
    total = figures["materials"] + figures["labour"] + figures["overhead"]
    budget = _insert_budget(
        session,
        {
            "order_id": order.id,
            "version": (previous.version if previous else 0) + 1,
            "source": source,
            "materials": figures["materials"],
            "labour": figures["labour"],
            "overhead": figures["overhead"],
            "adjustments": Decimal("0.00"),
            "total": total,
            "inputs": figures["inputs"],
            "created_by": actor,
        },
    )
    if budget is None:  # made concurrently by another delivery of the same fact
        return session.scalars(
            select(CostBudget).where(CostBudget.order_id == order.id, CostBudget.source == source)
        ).one()
    audit.record(
        session,
        actor=actor,
        action="cost_budget.created",
        entity="order",
        entity_id=order.id,
        after={
            "version": budget.version,
            "source": source,
            "materials": str(budget.materials),
            "labour": str(budget.labour),
            "overhead": str(budget.overhead),
            "total": str(budget.total),
        },
    )
    check_overrun(session, order.id, actor=actor)
    return budget


def budget_for_change(session: Session, order_id: int, change_id: int, cost_delta: Decimal, *, actor: str) -> None:
    """An applied change with an assessed cost: a new budget version, the previous one plus that cost."""
    previous = latest_budget(session, order_id)
    if previous is None or not cost_delta:
        return
    source = f"change:{change_id}"
    known = select(CostBudget.id).where(CostBudget.order_id == order_id, CostBudget.source == source)
    if session.scalars(known).first() is not None:
        return
    inputs = dict(previous.inputs)
    inputs["changes"] = [*previous.inputs.get("changes", []), {"change_id": change_id, "cost_delta": str(cost_delta)}]
    adjustments = previous.adjustments + cost_delta
    budget = _insert_budget(
        session,
        {
            "order_id": order_id,
            "version": previous.version + 1,
            "source": source,
            "materials": previous.materials,
            "labour": previous.labour,
            "overhead": previous.overhead,
            "adjustments": adjustments,
            "total": previous.materials + previous.labour + previous.overhead + adjustments,
            "inputs": inputs,
            "created_by": actor,
        },
    )
    if budget is None:
        return
    audit.record(
        session,
        actor=actor,
        action="cost_budget.revised",
        entity="order",
        entity_id=order_id,
        before={"version": previous.version, "total": str(previous.total)},
        after={"version": budget.version, "total": str(budget.total), "change_id": change_id},
    )
    check_overrun(session, order_id, actor=actor)


# --- accruals ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rates:
    labour_rate: Decimal
    overhead_rate: Decimal
    rework_labour_share: Decimal
    overrun_share: Decimal
    budget_labour: Decimal | None


def _rates(session: Session, order_id: int, policy: CostPolicy | None = None) -> _Rates:
    """The order's rates: those its latest budget was made with, else the settings'."""
    budget = latest_budget(session, order_id)
    if budget is not None:
        i = budget.inputs
        return _Rates(
            Decimal(i["labour_rate"]),
            Decimal(i["overhead_rate"]),
            Decimal(i["rework_labour_share"]),
            Decimal(i["overrun_share"]),
            budget.labour,
        )
    p = policy or current_policy()
    return _Rates(p.labour_rate, p.overhead_rate, p.rework_labour_share, p.overrun_share, None)


def accrue(
    session: Session,
    order_id: int,
    kind: AccrualKind,
    source_ref: str,
    amount: Decimal,
    description: str,
    basis: dict[str, Any],
    *,
    actor: str,
) -> bool:
    """Book one actual cost of the order, keyed by ``(kind, source_ref)``; False when that fact was booked."""
    new_id = session.execute(
        pg_insert(CostAccrual)
        .values(
            order_id=order_id,
            kind=kind,
            source_ref=source_ref,
            amount=_money(amount),
            description=description,
            basis=basis,
            recorded_by=actor,
        )
        .on_conflict_do_nothing(index_elements=["kind", "source_ref"])
        .returning(CostAccrual.id)
    ).scalar_one_or_none()
    if new_id is None:
        return False
    audit.record(
        session,
        actor=actor,
        action="cost.accrued",
        entity="order",
        entity_id=order_id,
        after={"kind": kind.value, "source_ref": source_ref, "amount": str(_money(amount)), "description": description},
    )
    check_overrun(session, order_id, actor=actor)
    return True


def accrue_stock_issues(session: Session, order_id: int, *, actor: str) -> None:
    """Material set aside from stock for the order (the material check), at the price list of today."""
    session.flush()
    rows = session.execute(
        select(MaterialAllocation, Material)
        .join(Material, Material.id == MaterialAllocation.material_id)
        .where(MaterialAllocation.order_id == order_id, MaterialAllocation.source == "stock")
        .order_by(MaterialAllocation.id)
    ).all()
    today = factory_today(current_policy().timezone)
    for allocation, material in rows:
        price = unit_price(session, material.code, today)
        accrue(
            session,
            order_id,
            AccrualKind.STOCK_ISSUE,
            f"allocation:{allocation.id}",
            allocation.quantity * _priced(price),
            f"库存领用 {material.name} {_plain(allocation.quantity)} {material.unit}{_unpriced_note(price)}",
            {"material": material.code, "quantity": str(allocation.quantity), "unit_price": _price_text(price)},
            actor=actor,
        )


def accrue_receipt(session: Session, receipt: GoodsReceipt, *, actor: str) -> None:
    """A delivery received against the order's purchase order, at the price list of the receipt's day."""
    session.flush()
    po = receipt.purchase_order
    price = unit_price(session, po.material.code, factory_today(current_policy().timezone))
    accrue(
        session,
        po.order_id,
        AccrualKind.GOODS_RECEIPT,
        f"receipt:{receipt.id}",
        receipt.quantity * _priced(price),
        f"采购到货 {po.number} {po.material.name} {_plain(receipt.quantity)} {po.material.unit}{_unpriced_note(price)}",
        {
            "purchase_order": po.number,
            "material": po.material.code,
            "quantity": str(receipt.quantity),
            "unit_price": _price_text(price),
        },
        actor=actor,
    )


def accrue_return(session: Session, po: PurchaseOrder, *, actor: str) -> None:
    """Goods returned after a failed incoming inspection: their receipts are credited back."""
    refs = [f"receipt:{r.id}" for r in po.receipts]
    booked = session.scalar(
        select(func.coalesce(func.sum(CostAccrual.amount), 0)).where(
            CostAccrual.kind == AccrualKind.GOODS_RECEIPT, CostAccrual.source_ref.in_(refs)
        )
    )
    accrue(
        session,
        po.order_id,
        AccrualKind.GOODS_RETURN,
        f"purchase_order:{po.id}",
        -Decimal(booked or 0),
        f"来料不合格退货 {po.number} {po.material.name}（冲减到货成本）",
        {"purchase_order": po.number, "receipts": refs},
        actor=actor,
    )


def _working_days(cal: WorkCalendar, first: date, last: date) -> int:
    days, day = 0, first
    while day <= last:
        days += cal.is_working_day(day)
        day += timedelta(days=1)
    return days


def accrue_stage_work(session: Session, stage: ProductionStage, *, actor: str) -> None:
    """A stage reported finished: its working days (planned, plus those past its milestone) × doors × rate."""
    plan = session.get(ProductionPlan, stage.plan_id)
    if plan is None:
        raise NotFound("production plan", stage.plan_id)
    order = get_order(session, plan.order_id)
    policy = current_policy()
    rates = _rates(session, order.id, policy)
    finished = (stage.completed_at or datetime.now(UTC)).astimezone(ZoneInfo(policy.timezone)).date()
    planned = _working_days(policy.calendar, stage.planned_start, stage.milestone)
    late = _working_days(policy.calendar, stage.milestone + timedelta(days=1), finished)
    doors = sum(line.quantity for line in order.lines)
    amount = Decimal((planned + late) * doors) * rates.labour_rate
    accrue(
        session,
        order.id,
        AccrualKind.STAGE_WORK,
        f"stage:{stage.id}",
        amount,
        f"工序完工 {stage.name}（{planned + late} 个工作日 × {doors} 樘）",
        {
            "stage": stage.name,
            "planned_days": planned,
            "late_days": late,
            "doors": doors,
            "rate": str(rates.labour_rate),
        },
        actor=actor,
    )


def _budget_labour(session: Session, order: Order, rates: _Rates) -> Decimal:
    if rates.budget_labour is not None:
        return rates.budget_labour
    doors = sum(line.quantity for line in order.lines)
    return Decimal(_stage_days(current_policy()) * doors) * rates.labour_rate


def accrue_rework(session: Session, order_id: int, source_ref: str, what: str, *, actor: str) -> None:
    """A failed inspection (final or installation): the rework costs a share of the budgeted labour."""
    order = get_order(session, order_id)
    rates = _rates(session, order.id)
    labour = _budget_labour(session, order, rates)
    accrue(
        session,
        order.id,
        AccrualKind.REWORK,
        source_ref,
        labour * rates.rework_labour_share,
        f"返工 {what}",
        {"budget_labour": str(labour), "share": str(rates.rework_labour_share)},
        actor=actor,
    )


def accrue_replacement(
    session: Session, order_id: int, source_ref: str, what: str, door_line_id: int | None, *, actor: str
) -> None:
    """Replacement goods: one door of the given line (else of the order's average door) at standard cost."""
    order = get_order(session, order_id)
    policy = current_policy()
    today = factory_today(policy.timezone)
    line = session.get(DoorLine, door_line_id) if door_line_id is not None else None
    if line is not None and line.order_id == order.id:
        amount, basis = door_standard_cost(session, line.door_type.value, policy, today)
        basis["door_line_no"] = line.line_no
    else:
        doors = sum(ln.quantity for ln in order.lines)
        total = sum(
            (door_standard_cost(session, ln.door_type.value, policy, today)[0] * ln.quantity for ln in order.lines),
            Decimal("0"),
        )
        amount = _money(total / doors) if doors else Decimal("0.00")
        basis = {"average_door_of_order": True, "doors": doors}
    description = f"更换货物 {what}（1 樘）"
    accrue(session, order.id, AccrualKind.REPLACEMENT, source_ref, amount, description, basis, actor=actor)


# --- actual vs budget --------------------------------------------------------------------------------------


def _actual_direct(session: Session, order_id: int) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(CostAccrual.amount), 0)).where(CostAccrual.order_id == order_id)
    )
    return Decimal(total or 0)


@dataclass(frozen=True)
class _Standing:
    budget: CostBudget | None
    direct: Decimal
    overhead: Decimal
    total: Decimal
    variance: Decimal | None
    variance_share: Decimal | None
    limit: Decimal | None
    overrun_share: Decimal


def _standing(session: Session, order_id: int) -> _Standing:
    budget = latest_budget(session, order_id)
    rates = _rates(session, order_id)
    direct = _actual_direct(session, order_id)
    overhead = _money(direct * rates.overhead_rate)
    total = direct + overhead
    if budget is None:
        return _Standing(None, direct, overhead, total, None, None, None, rates.overrun_share)
    variance = total - budget.total
    share = (variance / budget.total).quantize(FOUR) if budget.total else None
    limit = _money(budget.total * (1 + rates.overrun_share))
    return _Standing(budget, direct, overhead, total, variance, share, limit, rates.overrun_share)


def check_overrun(session: Session, order_id: int, *, actor: str) -> bool:
    """Set (or clear) the order's over-budget flag against the latest budget; returns whether it is over."""
    now = _standing(session, order_id)
    if now.budget is None or now.limit is None:
        return False
    over = now.total > now.limit
    flag = session.scalars(select(CostOverrun).where(CostOverrun.order_id == order_id).with_for_update()).first()
    if over and (flag is None or not flag.active):
        note = (
            f"实际成本 {_money(now.total)} 元超出预算 {now.budget.total} 元的 {now.overrun_share * 100:.1f}% 容差"
            f"（超支 {_money(now.variance or Decimal(0))} 元）"
        )
        if flag is None:
            flag = CostOverrun(order_id=order_id)
            session.add(flag)
        flag.active, flag.flagged_at, flag.cleared_at, flag.note = True, datetime.now(UTC), None, note
        flag.budget_total, flag.actual_total, flag.overrun_share = now.budget.total, now.total, now.overrun_share
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="cost.overrun_flagged",
            entity="order",
            entity_id=order_id,
            after={
                "budget_version": now.budget.version,
                "budget_total": str(now.budget.total),
                "actual_total": str(now.total),
                "overrun_share": str(now.overrun_share),
            },
        )
    elif over and flag is not None:
        flag.actual_total = now.total
    elif not over and flag is not None and flag.active:
        flag.active, flag.cleared_at = False, datetime.now(UTC)
        flag.budget_total, flag.actual_total = now.budget.total, now.total
        audit.record(
            session,
            actor=actor,
            action="cost.overrun_cleared",
            entity="order",
            entity_id=order_id,
            after={
                "budget_version": now.budget.version,
                "budget_total": str(now.budget.total),
                "actual_total": str(now.total),
            },
        )
    return over


def _flag(session: Session, order_id: int) -> CostOverrun | None:
    return session.scalars(select(CostOverrun).where(CostOverrun.order_id == order_id)).first()


def _by_kind(accruals: Iterable[CostAccrual]) -> list[CostKindTotal]:
    sums: dict[AccrualKind, Decimal] = {}
    for a in accruals:
        sums[a.kind] = sums.get(a.kind, Decimal("0.00")) + a.amount
    return [CostKindTotal(kind=k, label=KIND_LABELS[k], amount=sums[k]) for k in AccrualKind if k in sums]


def order_cost(session: Session, order_id: int) -> OrderCost:
    """The order's budget (every version), its accruals, the actual cost, the variance and the flag."""
    order = get_order(session, order_id)
    budgets = list(
        session.scalars(select(CostBudget).where(CostBudget.order_id == order.id).order_by(CostBudget.version))
    )
    accruals = list(
        session.scalars(select(CostAccrual).where(CostAccrual.order_id == order.id).order_by(CostAccrual.id))
    )
    now = _standing(session, order.id)
    flag = _flag(session, order.id)
    unpriced = {str(r["code"]) for b in budgets for r in b.inputs.get("materials", []) if r.get("unit_price") is None}
    unpriced |= {str(a.basis["material"]) for a in accruals if a.basis.get("unit_price", "") is None}
    return OrderCost(
        order_id=order.id,
        order_number=order.order_number,
        budget=BudgetOut.model_validate(budgets[-1]) if budgets else None,
        budget_versions=[BudgetOut.model_validate(b) for b in budgets],
        accruals=[AccrualOut.model_validate(a) for a in accruals],
        actual_by_kind=_by_kind(accruals),
        actual_direct=now.direct,
        actual_overhead=now.overhead,
        actual_total=now.total,
        variance=now.variance,
        variance_share=now.variance_share,
        overrun_share=now.overrun_share,
        over_budget=bool(flag and flag.active),
        overrun_note=flag.note if flag and flag.active else None,
        unpriced_materials=sorted(unpriced),
    )


def report(
    session: Session,
    *,
    start: date | None = None,
    end: date | None = None,
    salesperson: str | None = None,
    over_budget: bool | None = None,
) -> CostReport:
    """Every order received in the period (of one salesperson) that has a budget: budget, actual, variance, flag."""
    if start and end and start > end:
        raise InvalidInput(("query", "start"), "must not be after end")
    query = select(Order).where(Order.id.in_(select(CostBudget.order_id))).order_by(Order.id)
    if start:
        query = query.where(factory_day_of(Order.created_at) >= start)
    if end:
        query = query.where(factory_day_of(Order.created_at) <= end)
    if salesperson:
        query = query.where(Order.salesperson == salesperson)
    rows: list[CostReportRow] = []
    for order in session.scalars(query):
        now = _standing(session, order.id)
        if now.budget is None:
            continue
        flag = _flag(session, order.id)
        flagged = bool(flag and flag.active)
        if over_budget is not None and flagged != over_budget:
            continue
        rows.append(
            CostReportRow(
                order_id=order.id,
                order_number=order.order_number,
                customer_name=order.customer_name,
                salesperson=order.salesperson,
                status=order.status.value,
                budget_version=now.budget.version,
                budget_total=now.budget.total,
                actual_total=now.total,
                variance=now.variance or Decimal("0.00"),
                variance_share=now.variance_share,
                over_budget=flagged,
            )
        )
    accruals = session.scalars(select(CostAccrual).where(CostAccrual.order_id.in_([r.order_id for r in rows]))).all()
    budget_sum = sum((r.budget_total for r in rows), Decimal("0.00"))
    actual_sum = sum((r.actual_total for r in rows), Decimal("0.00"))
    return CostReport(
        start=start,
        end=end,
        salesperson=salesperson,
        orders=len(rows),
        over_budget=sum(r.over_budget for r in rows),
        budget_total=budget_sum,
        actual_total=actual_sum,
        variance=actual_sum - budget_sum,
        actual_by_kind=_by_kind(accruals),
        rows=rows,
    )
