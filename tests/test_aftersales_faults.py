"""The engine down at intake or at the customer's feedback: nothing half-stored, nothing lost."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow.stack import free_port
from models.aftersales.tables import Channel, ProblemType, ServiceTicket, Severity, TicketEvent, TicketStatus, Urgency
from models.outbox import EngineMessage
from tests.conftest import LiveEngine, authed, make_settings, verified
from tests.test_aftersales_engine import ticket_payload


def test_intake_with_the_engine_down_stores_nothing(
    db_url: str, sessions: sessionmaker[Session], live_engine: LiveEngine
) -> None:
    """The instance is started inside the intake's transaction: no engine, no ticket (503, retry later)."""
    dead_engine = f"http://127.0.0.1:{free_port()}"
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(ServiceTicket))
    with TestClient(create_app(make_settings(db_url, dead_engine), verified(live_engine))) as client:
        response = authed(client).post("/tickets", json=ticket_payload())
    assert response.status_code == 503 and response.headers["Retry-After"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ServiceTicket)) == before


def test_feedback_with_the_engine_down_is_kept_with_its_message(
    db_url: str, sessions: sessionmaker[Session], live_engine: LiveEngine
) -> None:
    """The answer and its CustomerFeedback message commit together (outbox); the message is delivered later."""
    number = "AS20261123-90001"
    with sessions() as s, s.begin():
        ticket = ServiceTicket(
            ticket_number=number,
            customer_name="宁波测试客户",
            product_model="GF-960",
            problem_type=ProblemType.OTHER,
            problem_description="测试",
            channel=Channel.API,
            severity=Severity.LOW,
            urgency=Urgency.LOW,
            status=TicketStatus.AWAITING_CONFIRMATION,
            escalated=False,
            feedback_count=0,
            reassessment_rounds=0,
        )
        s.add(ticket)
    dead_engine = f"http://127.0.0.1:{free_port()}"
    with TestClient(create_app(make_settings(db_url, dead_engine), verified(live_engine))) as client:
        response = authed(client).post(f"/tickets/{number}/feedback", json={"satisfied": True, "comments": "已修好"})
        again = client.post(f"/tickets/{number}/feedback", json={"satisfied": True})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "feedback_received"
    assert again.status_code == 409  # taken once, even while the engine is away
    with sessions() as s:
        stored = s.scalars(select(ServiceTicket).where(ServiceTicket.ticket_number == number)).one()
        assert stored.status == TicketStatus.FEEDBACK_RECEIVED
        kinds = list(s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == stored.id)))
        assert kinds == ["feedback"]
        [message] = s.scalars(select(EngineMessage).where(EngineMessage.business_key == number))
        assert message.name == "CustomerFeedback" and message.message_id == f"{number}-feedback-1"
        assert message.local_keys == {}
        assert message.variables == {"satisfied": True, "feedbackComments": "已修好"}
        assert message.delivered_at is None and message.expired_at is None
        assert message.expires_at > message.created_at  # offered again until its time-to-live ends
    with sessions() as s, s.begin():  # no instance will ever wait for this made-up ticket: retire the message
        s.execute(update(EngineMessage).where(EngineMessage.business_key == number).values(expired_at=func.now()))
