"""Production: purchase orders of an order, and the warehouse's goods receipt (publishes GoodsReceived)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.auth import CallerDep
from api.deps import SessionDep, SettingsDep
from api.idempotency import IDEMPOTENT, IdempotentRoute
from models import outbox
from models.production import service
from models.production.schemas import ProductionOut, PurchaseOrderOut, ReceiptIn, ReceiptOut
from models.production.tables import PurchaseOrder
from models.types import Id, Line

router = APIRouter(tags=["production"], route_class=IdempotentRoute)


def _po_out(po: PurchaseOrder) -> PurchaseOrderOut:
    return PurchaseOrderOut(
        number=po.number,
        order_id=po.order_id,
        material_code=po.material.code,
        material_name=po.material.name,
        supplier_name=po.supplier.name,
        quantity=po.quantity,
        received_quantity=po.received_quantity,
        outstanding_quantity=po.outstanding_quantity,
        status=po.status,
        replaces_id=po.replaces_id,
    )


@router.get(
    "/orders/{order_id}/purchase-orders",
    summary="Purchase orders raised for an order's material shortages, oldest first",
    responses={404: {"description": "No such order."}},
)
def list_purchase_orders(order_id: Id, session: SessionDep) -> list[PurchaseOrderOut]:
    return [_po_out(po) for po in service.list_purchase_orders(session, order_id)]


@router.post(
    "/purchase-orders/{number}/receipt",
    status_code=status.HTTP_201_CREATED,
    dependencies=[IDEMPOTENT],
    summary="Record a delivery against a purchase order; once all of it is in, production goes on to inspection",
    description=(
        "Receipts accumulate: a short delivery leaves the purchase order `partially_received` and its production "
        "process waiting for the rest; the receipt that completes the ordered quantity sends GoodsReceived. "
        "A delivery beyond the outstanding quantity is refused (422 on `quantity`); nothing is stored."
    ),
    responses={
        404: {"description": "No such purchase order."},
        409: {"description": "The purchase order is not waiting for goods (already received, accepted or returned)."},
        422: {
            "description": "Invalid receipt, or more than is outstanding (over-delivery); the detail names the field."
        },
    },
)
def receive_goods(
    number: Line, body: ReceiptIn, session: SessionDep, settings: SettingsDep, caller: CallerDep
) -> ReceiptOut:
    receipt = service.receive_goods(
        session,
        number,
        body,
        lambda po_number, receipt_id: outbox.enqueue(
            session,
            service.GOODS_RECEIVED,
            f"receipt-{receipt_id}",
            settings.goods_received_message_ttl_s,
            local_keys={"purchaseOrderNumber": po_number},
        ),
        actor=caller.actor,
    )
    po = receipt.purchase_order
    return ReceiptOut(
        id=receipt.id,
        purchase_order_number=number,
        purchase_order_status=po.status,
        received_quantity=po.received_quantity,
        outstanding_quantity=po.outstanding_quantity,
        quantity=receipt.quantity,
        delivery_note=receipt.delivery_note,
        received_by=receipt.received_by,
        received_at=receipt.received_at,
    )


@router.get(
    "/orders/{order_id}/production",
    summary="An order's current production plan: stages with progress, inspections with causes, delays",
    responses={404: {"description": "No such order, or no production plan yet."}},
)
def get_production(order_id: Id, session: SessionDep) -> ProductionOut:
    return ProductionOut.model_validate(service.production_overview(session, order_id), from_attributes=True)
