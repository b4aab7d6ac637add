"""Supplier scorecards: current classes, scores and facts; a new evaluation; purchasing's class decision."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.auth import CallerDep
from api.deps import EngineDep, FactoryTodayDep, SessionDep, SettingsDep
from models.production.service import supplier_policy
from models.suppliers import service
from models.suppliers.schemas import EvaluationStartedOut, SupplierClassIn, SupplierScorecardOut
from models.types import Id

router = APIRouter(prefix="/suppliers", tags=["suppliers"])


@router.get(
    "/scorecards",
    summary="Every supplier's class, scores and the facts of its latest evaluation (for the dashboard)",
)
def scorecards(session: SessionDep, settings: SettingsDep) -> list[SupplierScorecardOut]:
    return [SupplierScorecardOut.model_validate(c) for c in service.scorecards(session, supplier_policy(settings))]


@router.post(
    "/scorecards/evaluate",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Evaluate every supplier now: starts a supplier-evaluation process (also run monthly by its timer)",
    description=(
        "The process computes each supplier's facts over the last `DOORFLOW_SUPPLIER_EVALUATION_PERIOD_DAYS` "
        "days, the DMN table supplier-class decides each class on the engine, and the classes are stored; "
        "GET /suppliers/scorecards shows them once the instance has finished."
    ),
    responses={503: {"description": "The engine is unreachable; nothing was started."}},
)
def evaluate(session: SessionDep, engine: EngineDep, today: FactoryTodayDep, caller: CallerDep) -> EvaluationStartedOut:
    out = service.request_evaluation(
        session,
        lambda business_key, variables: engine.start_process(service.PROCESS_ID, business_key, variables),
        today=today,
        actor=caller.actor,
    )
    return EvaluationStartedOut.model_validate(out)


@router.post(
    "/{supplier_id}/class",
    summary="Purchasing sets a supplier's class (e.g. re-admission after a review); audited",
    responses={404: {"description": "No such supplier."}},
)
def set_class(
    supplier_id: Id, body: SupplierClassIn, session: SessionDep, settings: SettingsDep, caller: CallerDep
) -> SupplierScorecardOut:
    service.set_class(session, supplier_id, body.supplier_class.value, body.reason, actor=caller.actor)
    cards = service.scorecards(session, supplier_policy(settings))
    return SupplierScorecardOut.model_validate(next(c for c in cards if c["supplier_id"] == supplier_id))
