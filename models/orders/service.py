"""Order services: the business rules of taking and registering an order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import audit
from models.errors import InvalidInput, NotFound
from models.orders.schemas import OrderIn
from models.orders.tables import ORDER_NUMBER_SEQ, DoorLine, Order, OrderStatus

PROCESS_ID = "door-order"

# Starts the order's process instance with the given variables and returns its key.
ProcessStarter = Callable[[dict[str, Any]], int]


@dataclass(frozen=True)
class OrderLimits:
    """What the factory can build: configuration, not constants."""

    max_width_mm: int
    max_height_mm: int
    max_quantity: int


def validate_limits(data: OrderIn, limits: OrderLimits, today: date) -> None:
    """Rules beyond the schema; raises InvalidInput naming the first bad field."""
    if data.requested_delivery_date < today:
        raise InvalidInput(("body", "requested_delivery_date"), "must not be in the past")
    for i, line in enumerate(data.lines):
        loc = ("body", "lines", i)
        if line.width_mm > limits.max_width_mm:
            raise InvalidInput((*loc, "width_mm"), f"exceeds the factory maximum of {limits.max_width_mm} mm")
        if line.height_mm > limits.max_height_mm:
            raise InvalidInput((*loc, "height_mm"), f"exceeds the factory maximum of {limits.max_height_mm} mm")
        if line.quantity > limits.max_quantity:
            raise InvalidInput((*loc, "quantity"), f"exceeds the maximum of {limits.max_quantity} per line")


def create_order(
    session: Session, data: OrderIn, start_process: ProcessStarter, *, limits: OrderLimits, actor: str
) -> Order:
    """Validate, store the order and start its lifecycle.

    The start is the last step, so when the engine is unreachable the caller's rollback leaves
    nothing behind (no half-created order, no orphan instance).
    """
    validate_limits(data, limits, date.today())
    seq = session.execute(ORDER_NUMBER_SEQ.next_value()).scalar_one()
    order = Order(
        order_number=f"DO{date.today():%Y%m%d}-{seq:05d}",
        customer_name=data.customer_name,
        customer_phone=data.customer_phone,
        delivery_address=data.delivery_address,
        requested_delivery_date=data.requested_delivery_date,
        salesperson=data.salesperson,
        notes=data.notes,
        status=OrderStatus.RECEIVED,
        lines=[DoorLine(line_no=i + 1, **line.model_dump()) for i, line in enumerate(data.lines)],
    )
    session.add(order)
    session.flush()
    order.process_instance_key = start_process({"orderId": order.id, "orderNumber": order.order_number})
    audit.record(
        session,
        actor=actor,
        action="order.created",
        entity="order",
        entity_id=order.id,
        after={"order_number": order.order_number, "process_instance_key": order.process_instance_key},
    )
    return order


def get_order(session: Session, order_id: int) -> Order:
    order = session.scalars(select(Order).options(selectinload(Order.lines)).where(Order.id == order_id)).first()
    if order is None:
        raise NotFound("order", order_id)
    return order


def list_orders(session: Session, *, limit: int = 50, offset: int = 0) -> list[Order]:
    query = select(Order).options(selectinload(Order.lines)).order_by(Order.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def register_order(session: Session, order_id: int, *, actor: str) -> dict[str, Any]:
    """Mark a received order as registered; returns the variables the confirmation form shows."""
    order = get_order(session, order_id)
    before = order.status
    if order.status == OrderStatus.RECEIVED:
        order.status = OrderStatus.REGISTERED
        audit.record(
            session,
            actor=actor,
            action="order.registered",
            entity="order",
            entity_id=order.id,
            before={"status": before.value},
            after={"status": order.status.value},
        )
    return {
        "orderNumber": order.order_number,
        "customerName": order.customer_name,
        "totalAmount": str(order.total_amount),
        "lineCount": len(order.lines),
    }
