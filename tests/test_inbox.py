"""The local task inbox: staff see their open tasks with forms and variables, and complete them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from doorflow import stack
from doorflow.staff import default_answers
from tests.conftest import LiveEngine, order_payload

pytestmark = pytest.mark.engine


def test_staff_list_open_and_complete_their_tasks(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child
) -> None:
    order = api.post("/orders", json=order_payload()).json()
    pik = order["process_instance_key"]
    records = live_engine.records
    first = records.wait_for(lambda: records.open_user_tasks(pik), 60, "the order's first user task")[0]
    group = first.candidate_groups[0]

    listed = api.get("/tasks", params={"group": group, "process_instance_key": pik}).json()
    assert [t["key"] for t in listed] == [first.key]
    assert listed[0]["name"] and listed[0]["name"] != first.element_id  # the diagram's Chinese name
    assert api.get("/tasks", params={"group": "nobody", "process_instance_key": pik}).json() == []

    detail = api.get(f"/tasks/{first.key}").json()
    assert detail["form_id"] and detail["form"]["id"] == detail["form_id"]
    assert detail["variables"]["orderNumber"] == order["order_number"]

    required = [
        c["key"]
        for c in detail["form"]["components"]
        if c.get("key") and c.get("validate", {}).get("required") and not c.get("readonly")
    ]
    assert required, "the first task's form has a required field"
    refused = api.post(f"/tasks/{first.key}/completion", json={"variables": {}})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "variables", required[0]]

    answer = default_answers()[first.element_id]
    variables = answer(first) if callable(answer) else answer
    assert api.post(f"/tasks/{first.key}/completion", json={"variables": variables}).status_code == 204
    records.wait_for(lambda: first.key not in {t.key for t in records.open_user_tasks(pik)}, 30, "completion")
    again = api.post(f"/tasks/{first.key}/completion", json={"variables": variables})
    assert again.status_code == 409
    assert api.get("/tasks/999999999").status_code == 404


def test_inbox_is_unavailable_without_a_record_log(db_url: str, live_engine: LiveEngine) -> None:
    from api.main import create_app
    from tests.conftest import make_settings

    with TestClient(create_app(make_settings(db_url, live_engine.cfg.rest_url, None))) as client:
        response = client.get("/tasks")
    assert response.status_code == 501
