"""The engine down at intake or at the customer's feedback: a 503 and nothing half-stored."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from doorflow.stack import free_port
from models.aftersales.tables import Channel, ProblemType, ServiceTicket, Severity, TicketEvent, TicketStatus, Urgency
from tests.conftest import make_settings
from tests.test_aftersales_engine import ticket_payload


def test_intake_with_the_engine_down_stores_nothing(db_url: str, sessions: sessionmaker[Session]) -> None:
    dead_engine = f"http://127.0.0.1:{free_port()}"
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(ServiceTicket))
    with TestClient(create_app(make_settings(db_url, dead_engine))) as client:
        response = client.post("/tickets", json=ticket_payload())
    assert response.status_code == 503 and response.headers["Retry-After"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ServiceTicket)) == before


def test_feedback_with_the_engine_down_keeps_the_ticket_waiting(db_url: str, sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        ticket = ServiceTicket(
            ticket_number="AS20261123-90001",
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
    with TestClient(create_app(make_settings(db_url, dead_engine))) as client:
        response = client.post("/tickets/AS20261123-90001/feedback", json={"satisfied": True})
    assert response.status_code == 503
    with sessions() as s:
        stored = s.scalars(select(ServiceTicket).where(ServiceTicket.ticket_number == "AS20261123-90001")).one()
        assert stored.status == TicketStatus.AWAITING_CONFIRMATION
        assert s.scalar(select(func.count()).where(TicketEvent.ticket_id == stored.id)) == 0
