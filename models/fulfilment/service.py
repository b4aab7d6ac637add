"""Fulfilment services: handover sheet and confirmations, shipment and delivery, acceptance, follow-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.contracts.service import contract_of_order
from models.documents import service as documents
from models.documents.tables import DocumentCategory
from models.errors import Conflict, InvalidInput, NotFound
from models.fulfilment.tables import Acceptance, FollowUpVisit, HandoverConfirmation, HandoverSheet, Shipment
from models.orders import service as orders
from models.orders.schemas import ShipmentDeliveredIn
from models.orders.tables import DoorType, Order, OrderStatus

SHIPMENT_DELIVERED = "ShipmentDelivered"  # message name in door-order.bpmn

# Publishes ShipmentDelivered for the order (correlation key: the order number).
DeliveryPublisher = Callable[[Order], None]

DEPARTMENTS = {"project": "项目部", "customer-service": "客服部", "finance": "财务部"}
SPECIAL_DOOR_TYPES = {
    DoorType.FIRE: "防火门：随货提供型式检验报告，安装后须配合消防验收",
    DoorType.GLASS: "玻璃门：运输与安装须防碎，钢化玻璃须有 3C 标志",
}


def special_items(order: Order) -> list[str]:
    """What project, customer service and finance must not miss: flagged on the sheet."""
    items = [
        f"第 {line.line_no} 行 {SPECIAL_DOOR_TYPES[line.door_type]}"
        for line in order.lines
        if line.door_type in SPECIAL_DOOR_TYPES
    ]
    if order.agreed_delivery_date:
        items.append(
            f"交货日期经协商改为 {order.agreed_delivery_date.isoformat()}（原要求 "
            f"{order.requested_delivery_date.isoformat()}）"
        )
    if order.notes:
        items.append(f"客户特别要求：{order.notes}")
    return items


def generate_handover(session: Session, order_id: int, *, actor: str) -> HandoverSheet:
    """Render the handover sheet (basic data, requirements, flagged items, attachments) for the three departments."""
    order = orders.get_order(session, order_id)
    existing = session.scalars(select(HandoverSheet).where(HandoverSheet.order_id == order.id)).first()
    if existing is not None:
        return existing
    contract = contract_of_order(session, order.id)
    if contract is None or contract.signed_on is None:
        raise Conflict(f"order {order.order_number} has no signed contract")
    attachments = [
        {"document_id": d.id, "title": d.title, "kind": d.kind, "version": d.version}
        for d in documents.list_documents(session, order_id=order.id)
    ]
    flagged = special_items(order)
    doc = documents.store(
        session,
        subject=f"order:{order.id}",
        kind="handover_sheet",
        category=DocumentCategory.PROJECT,
        title=f"订单交接单 {order.order_number}",
        template="handover-sheet.html.j2",
        context={
            "order": order,
            "contract": contract,
            "special_items": flagged,
            "attachments": attachments,
            "departments": DEPARTMENTS,
        },
        actor=actor,
        order_id=order.id,
    )
    sheet = HandoverSheet(order_id=order.id, document_id=doc.id, special_items=flagged, attachments=attachments)
    session.add(sheet)
    session.flush()
    orders.record_fact(
        session,
        order.id,
        actor=actor,
        action="handover.sheet_generated",
        after={"handover_sheet_id": sheet.id, "document_id": doc.id, "special_items": flagged},
    )
    return sheet


@dataclass(frozen=True)
class Confirmation:
    department: str
    confirmed_by: str
    confirmed_at: datetime
    comment: str | None


def record_handover_confirmations(
    session: Session, sheet_id: int, confirmations: list[Confirmation], *, actor: str
) -> HandoverSheet:
    """Each department's receipt (who, when); with all three the order is handed over."""
    sheet = session.get(HandoverSheet, sheet_id)
    if sheet is None:
        raise NotFound("handover sheet", sheet_id)
    missing = set(DEPARTMENTS) - {c.department for c in confirmations}
    if missing:
        raise InvalidInput(("confirmations",), f"missing confirmations of {sorted(missing)}")
    done = {c.department for c in sheet.confirmations}
    for c in confirmations:
        if c.department in done:
            continue
        sheet.confirmations.append(
            HandoverConfirmation(
                department=c.department, confirmed_by=c.confirmed_by, confirmed_at=c.confirmed_at, comment=c.comment
            )
        )
        orders.record_fact(
            session,
            sheet.order_id,
            actor=actor,
            action="handover.confirmed",
            after={
                "department": c.department,
                "confirmed_by": c.confirmed_by,
                "confirmed_at": c.confirmed_at.isoformat(),
            },
        )
    order = orders.get_order(session, sheet.order_id)
    orders.change_status(session, order, OrderStatus.HANDED_OVER, actor=actor, action="order.handed_over")
    session.flush()
    return sheet


def record_shipment(
    session: Session, order_id: int, *, carrier: str, tracking_number: str, shipped_on: date, actor: str
) -> Shipment:
    order = orders.get_order(session, order_id)
    shipment = session.scalars(select(Shipment).where(Shipment.order_id == order.id)).first()
    if shipment is None:
        shipment = Shipment(order_id=order.id, carrier=carrier, tracking_number=tracking_number, shipped_on=shipped_on)
        session.add(shipment)
        session.flush()
    elif shipment.delivered_on is not None:
        raise Conflict(f"the goods of order {order.order_number} are already delivered")
    else:
        shipment.carrier, shipment.tracking_number, shipment.shipped_on = carrier, tracking_number, shipped_on
    orders.record_fact(
        session,
        order.id,
        actor=actor,
        action="shipment.shipped",
        after={"carrier": carrier, "tracking_number": tracking_number, "shipped_on": shipped_on.isoformat()},
    )
    orders.change_status(session, order, OrderStatus.SHIPPED, actor=actor, action="order.shipped")
    return shipment


def report_delivery(
    session: Session, order_id: int, data: ShipmentDeliveredIn, publish: DeliveryPublisher, *, actor: str, today: date
) -> Shipment:
    """Record the delivery of a shipped order, then tell the engine (last, so a failed publish stores nothing).

    ``today`` is the factory's day: a delivery after it is in the future."""
    order = orders.get_order(session, order_id)
    shipment = session.scalars(select(Shipment).where(Shipment.order_id == order.id)).first()
    # An order put on hold while its goods travel still records their arrival (the wake-up waits for the resume).
    if shipment is None or orders.lifecycle_status(order) != OrderStatus.SHIPPED:
        raise Conflict(f"order {order.order_number} has no shipment on its way (status {order.status.value})")
    if data.tracking_number != shipment.tracking_number:
        raise InvalidInput(("body", "tracking_number"), f"does not match the shipment ({shipment.tracking_number})")
    if data.delivered_on < shipment.shipped_on:
        raise InvalidInput(("body", "delivered_on"), f"is before the shipping date {shipment.shipped_on.isoformat()}")
    if data.delivered_on > today:
        raise InvalidInput(("body", "delivered_on"), "must not be in the future")
    shipment.delivered_on = data.delivered_on
    shipment.received_by = data.received_by
    orders.record_fact(
        session,
        order.id,
        actor=actor,
        action="shipment.delivered",
        after={"delivered_on": data.delivered_on.isoformat(), "received_by": data.received_by},
    )
    orders.change_status(session, order, OrderStatus.INSTALLING, actor=actor, action="order.installing")
    session.flush()
    publish(order)
    return shipment


@dataclass(frozen=True)
class AcceptanceResult:
    passed: bool
    defects: str | None
    accepted_by: str | None
    rework_note: str | None


def record_acceptance(
    session: Session, order_id: int, result: AcceptanceResult, *, seller: str, actor: str
) -> Acceptance:
    """Store an acceptance round; a passed one gets the acceptance certificate and the order is accepted."""
    order = orders.get_order(session, order_id)
    if not result.passed and not result.defects:
        raise InvalidInput(("acceptanceDefects",), "a failed acceptance must list the defects")
    rounds = session.scalar(select(func.count()).select_from(Acceptance).where(Acceptance.order_id == order.id))
    acceptance = Acceptance(
        order_id=order.id,
        round=(rounds or 0) + 1,
        passed=result.passed,
        defects=result.defects,
        accepted_by=result.accepted_by,
        rework_note=result.rework_note,
    )
    session.add(acceptance)
    session.flush()
    orders.record_fact(
        session,
        order.id,
        actor=actor,
        action="acceptance.recorded",
        after={"round": acceptance.round, "passed": result.passed, "defects": result.defects},
    )
    if result.passed:
        contract = contract_of_order(session, order.id)
        doc = documents.store(
            session,
            subject=f"order:{order.id}",
            kind="acceptance_certificate",
            category=DocumentCategory.CUSTOMER,
            title=f"验收合格证书 {order.order_number}",
            template="acceptance-certificate.html.j2",
            context={
                "order": order,
                "contract": contract,
                "acceptance": acceptance,
                "seller": seller,
            },
            actor=actor,
            order_id=order.id,
        )
        acceptance.certificate_document_id = doc.id
        orders.change_status(session, order, OrderStatus.ACCEPTED, actor=actor, action="order.accepted")
    return acceptance


def record_visit(
    session: Session, order_id: int, *, satisfaction: int, comments: str | None, visited_by: str | None, actor: str
) -> FollowUpVisit:
    order = orders.get_order(session, order_id)
    if not 1 <= satisfaction <= 5:
        raise InvalidInput(("satisfactionScore",), "must be between 1 and 5")
    visit = session.scalars(select(FollowUpVisit).where(FollowUpVisit.order_id == order.id)).first()
    if visit is None:
        visit = FollowUpVisit(order_id=order.id, satisfaction=satisfaction, comments=comments, visited_by=visited_by)
        session.add(visit)
        session.flush()
        orders.record_fact(
            session,
            order.id,
            actor=actor,
            action="follow_up.visited",
            after={"satisfaction": satisfaction, "comments": comments, "visited_by": visited_by},
        )
    orders.change_status(session, order, OrderStatus.COMPLETED, actor=actor, action="order.completed")
    return visit
