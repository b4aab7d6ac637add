"""``/health``: the database, the engine and the workers, each with its own status.

200 only when every part is up; otherwise 503 naming the parts that are down, so a load balancer,
``./dev run`` or a person sees *which* part failed instead of an "ok" from the API alone.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import EngineDep, SettingsDep
from doorflow.operaton import EngineRejected, EngineUnreachable
from models.ops import service
from models.ops.schemas import HealthOut

router = APIRouter(tags=["ops"])

UP, DOWN = "up", "down"


def _database_and_workers(request: Request, stale_after_s: float) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        with request.app.state.sessionmaker() as session:
            session.execute(text("select 1"))
            workers = service.worker_states(session, stale_after_s)
    except SQLAlchemyError as exc:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        return {"status": DOWN, "error": reason}, {"status": DOWN, "error": "unknown: the database is down"}
    alive = [w for w in workers if w.alive]
    report: dict[str, Any] = {
        "status": UP if alive else DOWN,
        "alive": [w.worker_id for w in alive],
        "stale": [
            {"worker_id": w.worker_id, "last_heartbeat_s_ago": round(w.age_s, 1)} for w in workers if not w.alive
        ],
        "stale_after_s": stale_after_s,
    }
    if not alive:
        report["error"] = "no worker process sent a heartbeat within the limit"
    return {"status": UP}, report


def _engine(engine: EngineDep, timeout_s: float) -> dict[str, Any]:
    try:
        return {"status": UP, "version": engine.version(timeout_s)}
    except (EngineUnreachable, EngineRejected) as exc:
        return {"status": DOWN, "error": str(exc)[:300]}


@router.get("/health/live", summary="The API process answers (a liveness probe: restarting it cannot fix the rest)")
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health",
    summary="Status of the database, the engine and the workers",
    responses={
        200: {"model": HealthOut, "description": "Every part is up."},
        503: {"model": HealthOut, "description": "At least one part is down; `down` names which."},
    },
)
def health(request: Request, settings: SettingsDep, engine: EngineDep) -> JSONResponse:
    database, workers = _database_and_workers(request, settings.worker_heartbeat_stale_s)
    components = {"database": database, "engine": _engine(engine, settings.health_engine_timeout_s), "workers": workers}
    down = [name for name, part in components.items() if part["status"] != UP]
    body = {"status": "ok" if not down else "down", "down": down, "components": components}
    return JSONResponse(status_code=503 if down else 200, content=body)
