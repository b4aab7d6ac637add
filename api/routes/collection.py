"""Payment collection: installments of an order or contract, report a payment, a customer's balance, the report."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response, status

from api.auth import CallerDep
from api.dashboard.filters import department_people
from api.deps import FactoryTodayDep, SessionDep, SettingsDep
from api.idempotency import IDEMPOTENT, IdempotentRoute
from models import outbox
from models.collection import service
from models.collection.schemas import CollectionReport, CustomerCollectionOut, InstallmentOut, PaymentIn, PaymentResult
from models.collection.tables import Installment, Payment
from models.types import Id, Line

router = APIRouter(tags=["collection"], route_class=IdempotentRoute)


@router.get(
    "/orders/{order_id}/installments",
    summary="The installments of an order with payments and dunning steps",
    responses={404: {"description": "No such order."}},
)
def order_installments(order_id: Id, session: SessionDep) -> list[InstallmentOut]:
    return [InstallmentOut.model_validate(i) for i in service.list_installments(session, order_id=order_id)]


@router.get(
    "/contracts/{contract_number}/installments",
    summary="The installments of a contract",
    responses={404: {"description": "No such contract."}},
)
def contract_installments(contract_number: Line, session: SessionDep) -> list[InstallmentOut]:
    rows = service.list_installments(session, contract_number=contract_number)
    return [InstallmentOut.model_validate(i) for i in rows]


@router.get(
    "/installments/{installment_id}",
    summary="One installment",
    responses={404: {"description": "No such installment."}},
)
def get_installment(installment_id: Id, session: SessionDep) -> InstallmentOut:
    return InstallmentOut.model_validate(service.get_installment(session, installment_id))


@router.post(
    "/installments/{installment_id}/payments",
    status_code=status.HTTP_201_CREATED,
    dependencies=[IDEMPOTENT],
    summary="Report a payment received for an installment",
    responses={
        200: {"description": "This external reference was reported before: the first result, nothing new stored."},
        404: {"description": "No such installment."},
        409: {"description": "The installment is already paid, or the reference was used for another payment."},
        422: {"description": "Zero, negative or over-paying amount (the detail names the field). Nothing stored."},
    },
)
def report_payment(
    installment_id: Id,
    body: PaymentIn,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    today: FactoryTodayDep,
    caller: CallerDep,
) -> PaymentResult:
    """Record the payment, then publish ``PaymentReceived`` (and ``DepositReceived`` when it settles the deposit)."""

    def publish(inst: Installment, payment: Payment, deposit_settled: bool) -> None:
        variables = {"paymentId": payment.id, "installmentId": inst.id}
        outbox.enqueue(
            session,
            "PaymentReceived",
            f"payment-{payment.id}",
            settings.collection_payment_message_ttl_s,
            business_key=inst.order_number,  # the order's tree; the local key picks the installment's round
            local_keys={"installmentKey": inst.correlation_key},
            variables=variables,
        )
        if deposit_settled:
            outbox.enqueue(
                session,
                service.DEPOSIT_MESSAGE,
                f"deposit-{inst.order_number}",
                settings.collection_deposit_message_ttl_s,
                business_key=inst.order_number,
                variables={"depositPaidAmount": str(inst.paid_amount)},
            )

    zone = ZoneInfo(settings.factory_timezone)
    result = service.record_payment(session, installment_id, body, publish, actor=caller.actor, today=today, zone=zone)
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return result


@router.get(
    "/customers/{customer_name}/collection",
    summary="A customer's open and overdue balance and risk flag",
    responses={404: {"description": "No installments for this customer."}},
)
def customer_collection(
    customer_name: Line,
    session: SessionDep,
    today: FactoryTodayDep,
    as_of: Annotated[
        date | None,
        Query(description="Day the overdue balance is computed for; default today in the factory's time zone."),
    ] = None,
) -> CustomerCollectionOut:
    return service.customer_collection(session, customer_name, as_of or today)


@router.get("/reports/collection", summary="Collection rate, overdue amount and ageing")
def collection_report(
    session: SessionDep,
    settings: SettingsDep,
    today: FactoryTodayDep,
    as_of: Annotated[date | None, Query(description="Report day; default today in the factory's time zone.")] = None,
    start: Annotated[date | None, Query(description="Only installments due from this day.")] = None,
    salesperson: Annotated[Line | None, Query(description="Only installments of this salesperson's orders.")] = None,
    department: Annotated[Line | None, Query(description="Only those of this sales department.")] = None,
) -> CollectionReport:
    scope = service.CollectionScope(start, salesperson, department_people(settings, department))
    return service.collection_report(session, as_of or today, settings.collection_ageing_bucket_days, scope)
