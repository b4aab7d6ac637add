"""Supplier scorecards (001 §8 供应商评价): facts over a period, sub-scores, a score, and the class.

The facts come from what doorflow already holds about every purchase order of a supplier:

- quality: incoming inspections in the period and how many passed;
- on-time receipts: purchase orders due in the period (and already due) and how many arrived in full
  by their due date (a purchase order still short after its due date is late);
- price: purchase amount of the orders raised in the period against the same quantities at the
  materials' reference prices;
- service: returns the supplier was asked to replace (the re-order went to it again) and how many of
  those replacements arrived in full within ``return_handling_days`` of the return.

Each rate becomes a 0-100 sub-score (a fact without any sample keeps the supplier's previous
sub-score); the score is the weighted sum the purchase step ranks by (models.production.service
weighted_score, the same weights). The class is decided by the DMN table supplier-class on the engine,
in the supplier-evaluation process; ``record_class`` stores it on the supplier, where the purchase
step reads it. Services never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from doorflow.settings import Settings
from models import audit
from models.errors import InvalidInput, NotFound
from models.production.service import SupplierPolicy, supplier_policy
from models.production.tables import Inspection, InspectionKind, PurchaseOrder, PurchaseStatus, Supplier
from models.suppliers.tables import CLASS_LABELS, SupplierClass, SupplierEvaluation, SupplierEvaluationRun

PROCESS_ID = "supplier-evaluation"
DECISION_ID = "supplier-class"
FULLY_RECEIVED = (PurchaseStatus.RECEIVED, PurchaseStatus.ACCEPTED, PurchaseStatus.RETURNED)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ScorecardConfig:
    """The settings a scorecard is made from (Settings → here, so the service stays testable)."""

    period_days: int
    price_points_per_percent: Decimal
    return_handling_days: int
    timezone: str
    policy: SupplierPolicy


def scorecard_config(settings: Settings) -> ScorecardConfig:
    try:
        points = Decimal(settings.supplier_price_points_per_percent)
    except InvalidOperation as exc:
        raise ValueError(
            f"supplier_price_points_per_percent must be a decimal: {settings.supplier_price_points_per_percent}"
        ) from exc
    return ScorecardConfig(
        period_days=settings.supplier_evaluation_period_days,
        price_points_per_percent=points,
        return_handling_days=settings.supplier_return_handling_days,
        timezone=settings.factory_timezone,
        policy=supplier_policy(settings),
    )


@dataclass(frozen=True)
class Facts:
    inspections: int
    inspections_passed: int
    deliveries_due: int
    deliveries_on_time: int
    priced_orders: int
    purchase_amount: Decimal
    reference_amount: Decimal
    returns: int
    returns_handled: int

    @property
    def pass_rate(self) -> Decimal | None:
        return _share(self.inspections_passed, self.inspections)

    @property
    def on_time_rate(self) -> Decimal | None:
        return _share(self.deliveries_on_time, self.deliveries_due)

    @property
    def service_rate(self) -> Decimal | None:
        return _share(self.returns_handled, self.returns)

    @property
    def price_ratio(self) -> Decimal | None:
        if self.reference_amount <= 0:
            return None
        return (self.purchase_amount / self.reference_amount).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _share(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _points(value: Decimal) -> Decimal:
    return min(max(value, Decimal(0)), HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def _bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The period's first and (exclusive) last instant: whole factory days, start to end inclusive."""
    return (
        datetime.combine(start, time(0), zone).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(UTC),
    )


def _full_receipt_day(po: PurchaseOrder, zone: ZoneInfo) -> date | None:
    """The day the ordered quantity was in (the last receipt's day), or None while it is not."""
    if po.status not in FULLY_RECEIVED or not po.receipts:
        return None
    return _day(max(r.received_at for r in po.receipts), zone)


def supplier_facts(
    session: Session, supplier_id: int, start: date, end: date, today: date, cfg: ScorecardConfig
) -> Facts:
    """The supplier's facts over the factory days ``start`` … ``end`` (inclusive), as known ``today``."""
    zone = ZoneInfo(cfg.timezone)
    t0, t1 = _bounds(start, end, zone)
    inspections = list(
        session.scalars(
            select(Inspection)
            .join(PurchaseOrder, PurchaseOrder.id == Inspection.purchase_order_id)
            .where(
                PurchaseOrder.supplier_id == supplier_id,
                Inspection.kind == InspectionKind.INCOMING,
                Inspection.inspected_at >= t0,
                Inspection.inspected_at < t1,
            )
        )
    )

    due = 0
    on_time = 0
    for po in session.scalars(
        select(PurchaseOrder).where(
            PurchaseOrder.supplier_id == supplier_id,
            PurchaseOrder.due_date.is_not(None),
            PurchaseOrder.due_date >= start,
            PurchaseOrder.due_date <= end,
        )
    ):
        assert po.due_date is not None
        arrived = _full_receipt_day(po, zone)
        if arrived is None and (po.due_date >= today or po.cancellation_requested_at is not None):
            continue  # not due yet, or cancelled by us before it was due: nothing to hold against the supplier
        due += 1
        if arrived is not None and arrived <= po.due_date:
            on_time += 1

    priced = 0
    amount = Decimal(0)
    reference = Decimal(0)
    for po in session.scalars(
        select(PurchaseOrder).where(
            PurchaseOrder.supplier_id == supplier_id,
            PurchaseOrder.created_at >= t0,
            PurchaseOrder.created_at < t1,
            PurchaseOrder.unit_price.is_not(None),
        )
    ):
        if po.material.reference_price is None or po.unit_price is None:
            continue
        priced += 1
        amount += po.quantity * po.unit_price
        reference += po.quantity * po.material.reference_price

    returns = 0
    handled = 0
    for inspection in inspections:
        if inspection.passed or inspection.purchase_order_id is None:
            continue
        replacement = session.scalars(
            select(PurchaseOrder).where(PurchaseOrder.replaces_id == inspection.purchase_order_id)
        ).first()
        if replacement is None or replacement.supplier_id != supplier_id:
            continue  # re-ordered elsewhere: the supplier was not asked to replace the goods
        deadline = _day(inspection.inspected_at, zone) + timedelta(days=cfg.return_handling_days)
        arrived = _full_receipt_day(replacement, zone)
        if arrived is None and today <= deadline:
            continue  # still within its time to replace
        returns += 1
        if arrived is not None and arrived <= deadline:
            handled += 1

    return Facts(
        inspections=len(inspections),
        inspections_passed=sum(1 for i in inspections if i.passed),
        deliveries_due=due,
        deliveries_on_time=on_time,
        priced_orders=priced,
        purchase_amount=amount.quantize(Decimal("0.01")),
        reference_amount=reference.quantize(Decimal("0.01")),
        returns=returns,
        returns_handled=handled,
    )


@dataclass(frozen=True)
class SubScores:
    quality: Decimal
    lead_time: Decimal
    price: Decimal
    service: Decimal

    def weighted(self, weights: dict[str, Decimal]) -> Decimal:
        """The same sum as models.production.service.weighted_score, over these sub-scores."""
        total = (
            self.quality * weights.get("quality", Decimal(0))
            + self.lead_time * weights.get("lead_time", Decimal(0))
            + self.price * weights.get("price", Decimal(0))
            + self.service * weights.get("service", Decimal(0))
        )
        return total.quantize(Decimal("0.01"), ROUND_HALF_UP)


def sub_scores(facts: Facts, previous: Supplier, cfg: ScorecardConfig) -> SubScores:
    """Rates as 0-100 points; a fact without a sample in the period keeps the supplier's previous sub-score."""
    pass_rate, on_time, service, ratio = facts.pass_rate, facts.on_time_rate, facts.service_rate, facts.price_ratio
    price = previous.price_score
    if ratio is not None:
        price = _points(HUNDRED - max(ratio - 1, Decimal(0)) * HUNDRED * cfg.price_points_per_percent)
    return SubScores(
        quality=previous.quality_score if pass_rate is None else _points(pass_rate * HUNDRED),
        lead_time=previous.lead_time_score if on_time is None else _points(on_time * HUNDRED),
        price=Decimal(price),
        service=previous.service_score if service is None else _points(service * HUNDRED),
    )


def period_of(today: date, cfg: ScorecardConfig) -> tuple[date, date]:
    """The evaluation period: the ``period_days`` factory days ending today."""
    return today - timedelta(days=cfg.period_days - 1), today


def start_run(
    session: Session, cfg: ScorecardConfig, *, today: date, actor: str, process_instance_id: str | None = None
) -> dict[str, Any]:
    """Compute every supplier's facts, sub-scores and score for the period ending today and store them.

    One evaluation row per supplier (``seq`` 1, 2 … by supplier id): instance ``loopCounter`` of the
    diagram's multi-instance loads row ``loopCounter + 1``, so no list travels through the engine. The
    class is decided afterwards, per supplier, by the DMN table (``record_class``).
    """
    start, end = period_of(today, cfg)
    suppliers = list(session.scalars(select(Supplier).order_by(Supplier.id)))
    run = SupplierEvaluationRun(
        period_start=start,
        period_end=end,
        supplier_count=len(suppliers),
        started_by=actor,
        process_instance_id=process_instance_id,
    )
    session.add(run)
    for seq, supplier in enumerate(suppliers, start=1):
        facts = supplier_facts(session, supplier.id, start, end, today, cfg)
        scores = sub_scores(facts, supplier, cfg)
        run.evaluations.append(
            SupplierEvaluation(
                seq=seq,
                supplier_id=supplier.id,
                inspections=facts.inspections,
                inspections_passed=facts.inspections_passed,
                deliveries_due=facts.deliveries_due,
                deliveries_on_time=facts.deliveries_on_time,
                priced_orders=facts.priced_orders,
                purchase_amount=facts.purchase_amount,
                reference_amount=facts.reference_amount,
                returns=facts.returns,
                returns_handled=facts.returns_handled,
                pass_rate=facts.pass_rate,
                on_time_rate=facts.on_time_rate,
                price_ratio=facts.price_ratio,
                service_rate=facts.service_rate,
                quality_score=scores.quality,
                lead_time_score=scores.lead_time,
                price_score=scores.price,
                service_score=scores.service,
                score=scores.weighted(cfg.policy.weights),
                class_before=supplier.qualification_class,
            )
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="supplier_evaluation.started",
        entity="supplier_evaluation_run",
        entity_id=run.id,
        after={"period_start": str(start), "period_end": str(end), "suppliers": len(suppliers)},
    )
    return {
        "evaluationRunId": run.id,
        "supplierCount": len(suppliers),
        "periodStart": start.isoformat(),
        "periodEnd": end.isoformat(),
    }


def _rate(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def load_evaluation(session: Session, run_id: int, index: int) -> dict[str, Any]:
    """The run's evaluation number ``index`` (0-based, the multi-instance loopCounter): the decision's inputs."""
    evaluation = session.scalars(
        select(SupplierEvaluation).where(SupplierEvaluation.run_id == run_id, SupplierEvaluation.seq == index + 1)
    ).first()
    if evaluation is None:
        raise NotFound("supplier evaluation", f"{run_id}#{index}")
    return {
        "evaluationId": evaluation.id,
        "supplierName": evaluation.supplier.name,
        "currentClass": evaluation.class_before,
        "inspections": evaluation.inspections,
        "score": float(evaluation.score),
        "passRate": _rate(evaluation.pass_rate),
        "onTimeRate": _rate(evaluation.on_time_rate),
    }


def record_class(
    session: Session, evaluation_id: int, supplier_class: str | None, reason: str | None, *, actor: str, now: datetime
) -> dict[str, Any]:
    """Store the class the DMN decided; the supplier takes the evaluation's sub-scores and the class.

    A repeat for an evaluation already recorded changes nothing. A class the table should never give
    (empty, or not A-D) is bad data: an incident names it.
    """
    evaluation = session.get(SupplierEvaluation, evaluation_id)
    if evaluation is None:
        raise NotFound("supplier evaluation", evaluation_id)
    valid = {c.value for c in SupplierClass}
    if supplier_class not in valid:
        raise InvalidInput(
            ("supplierClass",), f"the decision supplier-class gave {supplier_class!r}, not one of {sorted(valid)}"
        )
    if evaluation.supplier_class is not None:
        return {"supplierClass": evaluation.supplier_class}
    supplier = evaluation.supplier
    before = {
        "class": supplier.qualification_class,
        "quality": str(supplier.quality_score),
        "lead_time": str(supplier.lead_time_score),
        "price": str(supplier.price_score),
        "service": str(supplier.service_score),
    }
    evaluation.supplier_class = supplier_class
    evaluation.reason = reason
    evaluation.evaluated_at = now
    supplier.qualification_class = supplier_class
    supplier.quality_score = evaluation.quality_score
    supplier.lead_time_score = evaluation.lead_time_score
    supplier.price_score = evaluation.price_score
    supplier.service_score = evaluation.service_score
    audit.record(
        session,
        actor=actor,
        action="supplier.classified",
        entity="supplier",
        entity_id=supplier.id,
        before=before,
        after={
            "class": supplier_class,
            "reason": reason,
            "score": str(evaluation.score),
            "evaluation_id": evaluation.id,
            "quality": str(evaluation.quality_score),
            "lead_time": str(evaluation.lead_time_score),
            "price": str(evaluation.price_score),
            "service": str(evaluation.service_score),
        },
    )
    return {"supplierClass": supplier_class}


def latest_evaluation(session: Session, supplier_id: int) -> SupplierEvaluation | None:
    """The supplier's newest decided evaluation (the one its current class comes from)."""
    return session.scalars(
        select(SupplierEvaluation)
        .where(SupplierEvaluation.supplier_id == supplier_id, SupplierEvaluation.evaluated_at.is_not(None))
        .order_by(SupplierEvaluation.evaluated_at.desc(), SupplierEvaluation.id.desc())
    ).first()


def scorecards(session: Session, policy: SupplierPolicy) -> list[dict[str, Any]]:
    """Every supplier's current class and score, with the facts of the evaluation the class comes from."""
    out: list[dict[str, Any]] = []
    for supplier in session.scalars(select(Supplier).order_by(Supplier.id)):
        evaluation = latest_evaluation(session, supplier.id)
        out.append(
            {
                "supplier_id": supplier.id,
                "name": supplier.name,
                "materials": list(supplier.materials),
                "supplier_class": supplier.qualification_class,
                "class_label": CLASS_LABELS.get(supplier.qualification_class, supplier.qualification_class),
                "may_receive_orders": supplier.qualification_class in policy.qualified_classes
                and supplier.qualification_class != SupplierClass.DISQUALIFIED,
                "score": SubScores(
                    supplier.quality_score, supplier.lead_time_score, supplier.price_score, supplier.service_score
                ).weighted(policy.weights),
                "quality_score": supplier.quality_score,
                "lead_time_score": supplier.lead_time_score,
                "price_score": supplier.price_score,
                "service_score": supplier.service_score,
                "latest_evaluation": None if evaluation is None else _evaluation_out(evaluation),
            }
        )
    return out


def _evaluation_out(e: SupplierEvaluation) -> dict[str, Any]:
    return {
        "evaluation_id": e.id,
        "run_id": e.run_id,
        "period_start": e.run.period_start,
        "period_end": e.run.period_end,
        "evaluated_at": e.evaluated_at,
        "class_before": e.class_before,
        "supplier_class": e.supplier_class,
        "reason": e.reason,
        "score": e.score,
        "inspections": e.inspections,
        "inspections_passed": e.inspections_passed,
        "pass_rate": e.pass_rate,
        "deliveries_due": e.deliveries_due,
        "deliveries_on_time": e.deliveries_on_time,
        "on_time_rate": e.on_time_rate,
        "priced_orders": e.priced_orders,
        "purchase_amount": e.purchase_amount,
        "reference_amount": e.reference_amount,
        "price_ratio": e.price_ratio,
        "returns": e.returns,
        "returns_handled": e.returns_handled,
        "service_rate": e.service_rate,
    }


def set_class(session: Session, supplier_id: int, supplier_class: str, reason: str, *, actor: str) -> Supplier:
    """Purchasing's own decision on a supplier's class (e.g. re-admission after a review), audited.

    The next evaluation starts from it (the DMN keeps a disqualified supplier disqualified)."""
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("supplier", supplier_id)
    if not reason.strip():
        raise InvalidInput(("body", "reason"), "a class change needs its reason")
    before = supplier.qualification_class
    supplier.qualification_class = SupplierClass(supplier_class).value
    audit.record(
        session,
        actor=actor,
        action="supplier.class_set",
        entity="supplier",
        entity_id=supplier.id,
        before={"class": before},
        after={"class": supplier.qualification_class, "reason": reason},
    )
    return supplier


def request_evaluation(
    session: Session, start_process: Callable[[str, dict[str, Any]], str], *, today: date, actor: str
) -> dict[str, str]:
    """Start a supplier-evaluation instance now (purchasing's request); the scorecards update as it runs."""
    business_key = f"supplier-evaluation:{today.isoformat()}"
    pid = start_process(business_key, {})
    audit.record(
        session,
        actor=actor,
        action="supplier_evaluation.requested",
        entity="supplier_evaluation",
        entity_id=pid,
        after={"business_key": business_key},
    )
    return {"process_instance_id": pid, "business_key": business_key}


def purchase_orders(session: Session, supplier_id: int) -> list[PurchaseOrder]:
    """The supplier's purchase orders, newest first: the facts behind its scorecard, for the dashboard's list."""
    return list(
        session.scalars(
            select(PurchaseOrder).where(PurchaseOrder.supplier_id == supplier_id).order_by(PurchaseOrder.id.desc())
        )
    )
