"""Staff input cannot break a process; tasks name their business (issue 9), on the real engine.

The engine itself checks every user-task completion against the task's Camunda Form, whoever
completes it (Tasklist's submit-form, the REST API, a script): a value the form forbids or a
missing required field is refused with a 400 naming the field, and the task stays open. Fields
the form hides by a condition are not required while hidden. Every user task's name carries the
business reference (order, ticket or change number) and the customer.

Most checks use a small test diagram and form deployed next to the project's resources, so each
kind of rule is exercised on its own; the project's own forms with hidden fields are exercised
through a test task that shows them (``formRef="${formKey}"``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from doorflow import stack
from doorflow.operaton import EngineRejected, encode
from tests.conftest import LiveEngine, order_payload

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[1]
CUSTOMER = "宁波测试门业有限公司"

CHECKED_FORM: dict[str, Any] = {
    "schemaVersion": 19,
    "id": "test-task-input",
    "type": "default",
    "components": [
        {"label": "订单编号", "type": "textfield", "key": "orderNumber", "readonly": True, "id": "F_orderNumber"},
        {
            "label": "验收结论",
            "type": "radio",
            "key": "verdict",
            "values": [{"label": "合格", "value": "pass"}, {"label": "不合格", "value": "fail"}],
            "validate": {"required": True},
            "id": "F_verdict",
        },
        {
            "label": "等级",
            "type": "select",
            "key": "grade",
            "values": [{"label": "A 级", "value": "A"}, {"label": "B 级", "value": "B"}],
            "id": "F_grade",
        },
        {
            "label": "完成百分比",
            "type": "number",
            "key": "percent",
            "decimalDigits": 1,
            "validate": {"min": 0, "max": 100},
            "id": "F_percent",
        },
        {
            "label": "完成日期",
            "type": "datetime",
            "subtype": "date",
            "dateLabel": "完成日期",
            "key": "dueOn",
            "validate": {"required": True},
            "id": "F_dueOn",
        },
        {
            "label": "编号",
            "type": "textfield",
            "key": "code",
            "validate": {"pattern": "^[A-Z]{2}-\\d{3}$"},
            "id": "F_code",
        },
        {
            "label": "说明",
            "type": "textarea",
            "key": "note",
            "validate": {"minLength": 4, "maxLength": 20},
            "id": "F_note",
        },
        {"label": "已确认", "type": "checkbox", "key": "confirmed", "id": "F_confirmed"},
        {
            "label": "不合格原因",
            "type": "textarea",
            "key": "failCause",
            "validate": {"required": True},
            "conditional": {"hide": '=verdict != "fail"'},
            "id": "F_failCause",
        },
    ],
}

GOOD: dict[str, Any] = {
    "verdict": "pass",
    "grade": "A",
    "percent": 99.5,
    "dueOn": "2028-02-29",
    "code": "AB-123",
    "note": "现场一切正常",
    "confirmed": True,
}

CHECKED_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_TestTaskInput"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="test-task-input" name="测试：表单输入" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="CheckInput" />
    <bpmn:userTask id="CheckInput" name="检查输入" camunda:formRef="test-task-input"
        camunda:formRefBinding="latest" camunda:candidateGroups="quality" />
    <bpmn:sequenceFlow id="F2" sourceRef="CheckInput" targetRef="End" />
    <bpmn:endEvent id="End" />
  </bpmn:process>
  <bpmn:process id="test-real-form" name="测试：项目表单" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="RealStart" />
    <bpmn:sequenceFlow id="R1" sourceRef="RealStart" targetRef="FillRealForm" />
    <bpmn:userTask id="FillRealForm" name="填写项目表单" camunda:formRef="${formKey}"
        camunda:formRefBinding="latest" camunda:candidateGroups="quality" />
    <bpmn:sequenceFlow id="R2" sourceRef="FillRealForm" targetRef="RealEnd" />
    <bpmn:endEvent id="RealEnd" />
  </bpmn:process>
  <bpmn:process id="test-task-parent" name="测试：调用子流程" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="ParentStart" />
    <bpmn:sequenceFlow id="P1" sourceRef="ParentStart" targetRef="CallChild" />
    <bpmn:callActivity id="CallChild" name="子流程" calledElement="test-task-input"
        camunda:calledElementBinding="latest">
      <bpmn:extensionElements>
        <camunda:in businessKey="#{execution.processBusinessKey}" />
        <camunda:in source="customerName" target="customerName" />
      </bpmn:extensionElements>
    </bpmn:callActivity>
    <bpmn:sequenceFlow id="P2" sourceRef="CallChild" targetRef="ParentEnd" />
    <bpmn:endEvent id="ParentEnd" />
  </bpmn:process>
</bpmn:definitions>
"""


def deploy_test_processes(live_engine: LiveEngine, folder: Path) -> LiveEngine:
    """Deploy the test processes above with their form (also used by tests/test_browser_forms.py)."""
    form = folder / "test-task-input.form"
    form.write_text(json.dumps(CHECKED_FORM, ensure_ascii=False), encoding="utf-8")
    diagram = folder / "test-task-input.bpmn"
    diagram.write_text(CHECKED_DIAGRAM, encoding="utf-8")
    live_engine.client.deploy([diagram, form], name="test-task-input")
    return live_engine


@pytest.fixture(scope="module")
def deployed(live_engine: LiveEngine, tmp_path_factory: pytest.TempPathFactory) -> LiveEngine:
    return deploy_test_processes(live_engine, tmp_path_factory.mktemp("task-input"))


def start_task(live: LiveEngine, process: str, business_key: str | None, variables: dict[str, Any]) -> dict[str, Any]:
    """Start ``process`` and return its (first) open user task as the REST API lists it."""
    pid = live.client.start_process(process, business_key, variables)
    history = live.history

    def task() -> dict[str, Any] | None:
        for instance in sorted(history.instance_tree(pid)):
            rows: list[dict[str, Any]] = live.client.get("/task", processInstanceId=instance)
            if rows:
                return rows[0]
        return None

    found: dict[str, Any] = history.wait_for(task, 30, "the user task")
    return found


def refused(live: LiveEngine, task_id: str, variables: dict[str, Any]) -> EngineRejected:
    with pytest.raises(EngineRejected) as caught:
        live.client.complete_task(task_id, variables)
    return caught.value


def assert_still_open(live: LiveEngine, task_id: str, absent: dict[str, Any]) -> None:
    """The task is still there and nothing of the refused completion was kept."""
    task = live.client.get(f"/task/{task_id}")
    assert task["id"] == task_id
    seen = live.history.task_variables(task_id)
    for name, value in absent.items():
        assert seen.get(name) != value, f"{name}={value!r} was stored although the completion was refused"


def completed(live: LiveEngine, task_id: str) -> bool:
    rows = live.client.get("/history/task", taskId=task_id)
    return bool(rows) and rows[0].get("deleteReason") == "completed"


# --- item 1: values the form forbids are refused, naming the field --------------------------

BAD_VALUES = [
    pytest.param({"verdict": "maybe"}, "字段「验收结论」的取值「maybe」不在表单选项中", id="option-not-offered"),
    pytest.param({"verdict": 1}, "字段「验收结论」的取值「1」不在表单选项中", id="option-wrong-type"),
    pytest.param({"grade": "C"}, "字段「等级」的取值「C」不在表单选项中", id="select-not-offered"),
    pytest.param({"dueOn": "2027-02-30"}, "字段「完成日期」的取值「2027-02-30」不是有效的日期", id="impossible-date"),
    pytest.param({"dueOn": "下周一"}, "字段「完成日期」的取值「下周一」不是有效的日期", id="not-a-date"),
    pytest.param({"percent": 150}, "字段「完成百分比」的取值 150 超出允许范围", id="number-above-max"),
    pytest.param({"percent": -0.5}, "字段「完成百分比」的取值 -0.5 超出允许范围", id="number-below-min"),
    pytest.param({"percent": "很多"}, "字段「完成百分比」应为数字", id="number-not-a-number"),
    pytest.param({"percent": 12.25}, "字段「完成百分比」的取值 12.25 最多保留 1 位小数", id="number-decimals"),
    pytest.param({"code": "ab-12"}, "字段「编号」的取值「ab-12」不符合要求的格式", id="pattern-mismatch"),
    pytest.param({"note": "太短"}, "字段「说明」至少需要 4 个字符", id="text-too-short"),
    pytest.param({"note": "长" * 21}, "字段「说明」最多 20 个字符", id="text-too-long"),
    pytest.param({"confirmed": "也许"}, "字段「已确认」应为勾选", id="checkbox-not-boolean"),
    pytest.param({"verdict": None}, "字段「验收结论」为必填项", id="required-null"),
    pytest.param({"verdict": "  "}, "字段「验收结论」为必填项", id="required-blank"),
    pytest.param({"verdict": "fail"}, "字段「不合格原因」为必填项", id="shown-required-missing"),
]


@pytest.mark.parametrize(("change", "message"), BAD_VALUES)
def test_a_value_the_form_forbids_is_refused_naming_the_field(
    deployed: LiveEngine, change: dict[str, Any], message: str
) -> None:
    task = start_task(deployed, "test-task-input", "DO20990101-IN001", {"orderNumber": "DO20990101-IN001"})
    answer = {**GOOD, **change}

    error = refused(deployed, task["id"], answer)

    assert error.status == 400, error
    assert message in error.detail, error.detail
    assert_still_open(deployed, task["id"], {k: v for k, v in change.items() if v is not None})
    # Corrected, the same task completes.
    deployed.client.complete_task(task["id"], GOOD)
    assert completed(deployed, task["id"])


def test_a_missing_required_field_is_refused(deployed: LiveEngine) -> None:
    task = start_task(deployed, "test-task-input", "DO20990101-IN002", {})
    answer = {k: v for k, v in GOOD.items() if k != "dueOn"}

    error = refused(deployed, task["id"], answer)

    assert error.status == 400
    assert "字段「完成日期」为必填项" in error.detail
    assert "验收结论" not in error.detail  # only the fields that are wrong are named
    assert_still_open(deployed, task["id"], {"verdict": "pass"})


def test_every_bad_field_is_named_at_once(deployed: LiveEngine) -> None:
    task = start_task(deployed, "test-task-input", "DO20990101-IN003", {})
    error = refused(deployed, task["id"], {**GOOD, "grade": "Z", "percent": 101, "dueOn": "2026-13-01"})
    assert error.status == 400
    for label in ("等级", "完成百分比", "完成日期"):
        assert f"字段「{label}」" in error.detail


def test_tasklist_submit_form_is_refused_too(deployed: LiveEngine) -> None:
    """Tasklist completes through submit-form: the same rule, the same 400 with the field's name."""
    task = start_task(deployed, "test-task-input", "DO20990101-IN004", {})
    with pytest.raises(EngineRejected) as caught:
        deployed.client.call(
            "POST", f"/task/{task['id']}/submit-form", json={"variables": encode({**GOOD, "dueOn": "2027-02-30"})}
        )
    assert caught.value.status == 400
    assert "字段「完成日期」" in caught.value.detail
    assert_still_open(deployed, task["id"], {"dueOn": "2027-02-30"})
    deployed.client.call("POST", f"/task/{task['id']}/submit-form", json={"variables": encode(GOOD)})
    assert completed(deployed, task["id"])


def test_a_hidden_required_field_may_be_omitted(deployed: LiveEngine) -> None:
    task = start_task(deployed, "test-task-input", "DO20990101-IN005", {})
    assert "failCause" not in GOOD
    deployed.client.complete_task(task["id"], GOOD)  # verdict "pass" hides the failure cause
    assert completed(deployed, task["id"])


def test_a_shown_required_field_completes_once_filled(deployed: LiveEngine) -> None:
    task = start_task(deployed, "test-task-input", "DO20990101-IN006", {})
    deployed.client.complete_task(task["id"], {**GOOD, "verdict": "fail", "failCause": "门扇变形"})
    assert completed(deployed, task["id"])


def test_a_form_the_engine_cannot_check_is_not_deployed(live_engine: LiveEngine, tmp_path: Path) -> None:
    """A condition outside the FEEL the validator evaluates fails the deployment, not the completion."""
    form = dict(CHECKED_FORM, id="test-task-input-unsupported")
    components = [dict(c) for c in CHECKED_FORM["components"]]
    components[-1]["conditional"] = {"hide": '=contains(verdict, "fa")'}
    form["components"] = components
    path = tmp_path / "test-task-input-unsupported.form"
    path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(EngineRejected) as caught:
        live_engine.client.deploy([path], name="test-task-input-unsupported")
    assert "test-task-input-unsupported.form" in caught.value.detail
    assert "contains" in caught.value.detail
    assert live_engine.client.get("/deployment", name="test-task-input-unsupported") == []


# --- item 1: the project's own forms with hidden required fields ---------------------------

HIDDEN_FIELD_FORMS = [
    # (form, an answer that hides the field, the field that is shown, its label)
    pytest.param(
        "acceptance",
        {"acceptancePassed": "yes", "acceptedBy": "张建国"},
        {"acceptancePassed": "no"},
        "缺陷说明",
        id="accepted-order-needs-no-defects",
    ),
    pytest.param(
        "installation-confirm-date",
        {"dateDecision": "confirmed", "confirmNote": "客户确认"},
        {"dateDecision": "proposed"},
        "客户建议的日期",
        id="confirmed-installation-needs-no-proposed-date",
    ),
    pytest.param(
        "installation-inspection",
        {"installResult": "passed"},
        {"installResult": "failed"},
        "不合格原因",
        id="passed-installation-needs-no-cause",
    ),
    pytest.param(
        "order-negotiation",
        {"negotiationOutcome": "rejected", "negotiationComment": "客户不接受新交期"},
        {"negotiationOutcome": "agreed"},
        "约定的新交货日期",
        id="rejected-negotiation-needs-no-date",
    ),
    pytest.param(
        "production-final-inspection",
        {"finalResult": "passed"},
        {"finalResult": "failed"},
        "不合格原因",
        id="passed-final-inspection-needs-no-cause",
    ),
    pytest.param(
        "production-incoming-inspection",
        {"incomingResult": "passed"},
        {"incomingResult": "failed"},
        "不合格原因",
        id="passed-incoming-inspection-needs-no-cause",
    ),
]


@pytest.mark.parametrize(("form", "hiding", "showing", "label"), HIDDEN_FIELD_FORMS)
def test_project_forms_require_a_field_only_while_it_is_shown(
    deployed: LiveEngine, form: str, hiding: dict[str, Any], showing: dict[str, Any], label: str
) -> None:
    assert (ROOT / "bpmn" / "forms" / f"{form}.form").exists()
    shown = start_task(deployed, "test-real-form", "DO20990101-RF001", {"formKey": form})
    error = refused(deployed, shown["id"], {**hiding, **showing})
    assert error.status == 400
    assert f"字段「{label}」为必填项" in error.detail, error.detail
    assert_still_open(deployed, shown["id"], showing)

    hidden = start_task(deployed, "test-real-form", "DO20990101-RF002", {"formKey": form})
    deployed.client.complete_task(hidden["id"], hiding)
    assert completed(deployed, hidden["id"])


def test_project_form_option_not_offered_is_refused(deployed: LiveEngine) -> None:
    task = start_task(deployed, "test-real-form", "DO20990101-RF003", {"formKey": "acceptance"})
    error = refused(deployed, task["id"], {"acceptancePassed": "maybe", "acceptedBy": "张建国"})
    assert error.status == 400
    assert "字段「验收是否合格」的取值「maybe」不在表单选项中" in error.detail


# --- item 2: tasks name their business -----------------------------------------------------


def test_task_name_carries_business_key_and_customer(deployed: LiveEngine) -> None:
    task = start_task(deployed, "test-task-input", "DO20990101-NM001", {"customerName": CUSTOMER})
    assert task["name"] == f"检查输入 · DO20990101-NM001 · {CUSTOMER}"
    listed = deployed.client.get("/task", nameLike="%DO20990101-NM001%")
    assert [row["id"] for row in listed] == [task["id"]]


def test_change_tasks_name_their_change_number(deployed: LiveEngine) -> None:
    variables = {"customerName": CUSTOMER, "changeNumber": "DO20990101-NM002-C03"}
    task = start_task(deployed, "test-task-input", "DO20990101-NM002", variables)
    assert task["name"] == f"检查输入 · DO20990101-NM002-C03 · {CUSTOMER}"


def test_child_process_tasks_name_the_parents_order(deployed: LiveEngine) -> None:
    task = start_task(deployed, "test-task-parent", "DO20990101-NM003", {"customerName": CUSTOMER})
    assert task["processDefinitionId"].startswith("test-task-input:")
    assert task["name"] == f"检查输入 · DO20990101-NM003 · {CUSTOMER}"


@pytest.fixture
def order_tasks(
    api: TestClient, live_engine: LiveEngine, workers: stack.Child
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    response = api.post("/orders", json=order_payload(customer_name=CUSTOMER))
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    pid = order["process_instance_id"]

    def three() -> list[dict[str, Any]] | None:
        rows: list[dict[str, Any]] = live_engine.client.get("/task", processInstanceId=pid)
        return rows if len(rows) == 3 else None

    yield order, live_engine.history.wait_for(three, 90, "the three review tasks")


def test_order_review_tasks_name_order_and_customer(
    order_tasks: tuple[dict[str, Any], list[dict[str, Any]]], live_engine: LiveEngine
) -> None:
    order, tasks = order_tasks
    names = sorted(row["name"] for row in tasks)
    suffix = f" · {order['order_number']} · {CUSTOMER}"
    assert names == sorted(f"{base}{suffix}" for base in ("评审生产产能", "评审原材料供应", "评审安装能力"))
    # A review answered with an option its form does not offer is refused on the real order too.
    [production] = [row for row in tasks if row["taskDefinitionKey"] == "ReviewProductionCapacity"]
    error = refused(live_engine, production["id"], {"productionOk": "perhaps", "productionComment": "?"})
    assert error.status == 400
    assert "字段「" in error.detail and "「perhaps」不在表单选项中" in error.detail
