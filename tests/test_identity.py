"""One identity: staff see and complete only their own groups' tasks; the REST API needs credentials."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from doorflow import identity, stack
from doorflow.operaton import EngineRejected, OperatonClient
from doorflow.staff import default_answers
from tests.conftest import LiveEngine, order_payload

pytestmark = pytest.mark.engine
DEMO_PASSWORD = identity.PASSWORD_DEFAULTS["DOORFLOW_DEMO_PASSWORD"]


def member_of(group: str) -> str:
    return str(next(u["id"] for u in identity.users() if group in u["groups"]))


def test_the_rest_api_refuses_requests_without_credentials(live_engine: LiveEngine) -> None:
    # GET /engine-rest/engine (the engine's name) is the one path Operaton leaves open on purpose.
    assert httpx.get(f"{live_engine.cfg.rest_url}/version").status_code == 401
    assert httpx.get(f"{live_engine.cfg.rest_url}/task").status_code == 401
    # An unknown user: a wrong password for a real one would lock that account for a while (brute-force guard).
    wrong = httpx.get(f"{live_engine.cfg.rest_url}/task", auth=("no-such-user", "not-the-password"))
    assert wrong.status_code == 401


def test_every_declared_group_and_user_exists_in_the_engine(live_engine: LiveEngine) -> None:
    groups = {g["id"]: g["name"] for g in live_engine.client.get("/group", maxResults=500)}
    assert identity.group_names().items() <= groups.items()
    users = {u["id"]: u for u in live_engine.client.get("/user", maxResults=500)}
    for user in identity.users():
        assert users[user["id"]]["lastName"] == user["lastName"]
        members = {m["id"] for m in live_engine.client.get("/user", memberOfGroup=user["groups"][0])}
        assert user["id"] in members


def test_a_staff_member_sees_and_completes_only_their_own_groups_tasks(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child
) -> None:
    order = api.post("/orders", json=order_payload()).json()
    pid = order["process_instance_id"]
    history = live_engine.history
    tasks = history.wait_for(lambda: len(history.open_user_tasks(pid)) == 3 and history.open_user_tasks(pid), 60)
    [production_task] = [t for t in tasks if t.candidate_groups == ["production"]]

    outsider = OperatonClient(live_engine.cfg.url, member_of("legal"), DEMO_PASSWORD)
    insider = OperatonClient(live_engine.cfg.url, member_of("production"), DEMO_PASSWORD)
    try:
        assert outsider.get("/task", processInstanceId=pid) == []
        with pytest.raises(EngineRejected) as refused:
            outsider.complete_task(production_task.id, {"productionOk": "yes"})
        assert refused.value.status in (403, 404)
        assert history.open_user_tasks(pid) != [] and production_task.id in {t.id for t in history.open_user_tasks(pid)}

        visible = insider.get("/task", processInstanceId=pid)
        assert [t["id"] for t in visible] == [production_task.id]
        form = insider.get(f"/task/{production_task.id}/form")
        assert form["operatonFormRef"]["key"] == "order-review-production"
        answer = default_answers()["ReviewProductionCapacity"]
        insider.complete_task(production_task.id, answer(production_task) if callable(answer) else answer)
        history.wait_for(lambda: history.visited(pid, "ReviewProductionCapacity") == 1, 30, "the completed review")
    finally:
        outsider.close()
        insider.close()


def test_tasklist_and_cockpit_answer_in_chinese(live_engine: LiveEngine) -> None:
    base = f"{live_engine.cfg.url}/operaton/app"
    for app in ("tasklist", "cockpit", "admin"):
        page = httpx.get(f"{base}/{app}/default/", follow_redirects=True)
        assert page.status_code == 200, app
        config = httpx.get(f"{base}/{app}/scripts/config.js")
        assert config.status_code == 200 and "'zh'" in config.text, app
        zh = httpx.get(f"{base}/{app}/locales/zh.json")
        assert zh.status_code == 200, app
        labels = zh.json()["labels"]
        assert labels["PAGE_LOGIN_SIGN_IN_ACTION"] == "登录", app
