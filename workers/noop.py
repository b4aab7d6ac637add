"""No-op handlers for the benchmark (``./dev bench``): the same diagrams with doorflow's own work taken out.

A worker process started with ``DOORFLOW_WORKER_NOOP=true`` completes every external task at once with
the variables the happy path's gateways, timers, multi-instances and later forms read, and touches no
store (no transaction, no heartbeat, no outbox dispatcher). Measured against the real workers on the
same engine, it gives doorflow's own cost: what the store, the services and the documents add to what the
engine costs anyway. Never used outside the benchmark: the values are placeholders, not business data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from doorflow.settings import DEFAULT_STAGES
from workers.external import LockedTask
from workers.registry import TaskType
from workers.runtime import Outcome

FAR = datetime(2099, 6, 1, 1, 0, tzinfo=UTC)  # timers of the happy path that must not fire (notices, due checks)
STAGE_COUNT = len(DEFAULT_STAGES)  # as many stages as a real plan has with the default settings
SETTLED = "INSTALLMENT_SETTLED"  # payment-collection's error: the installment is paid, the round ends

Outputs = Callable[[LockedTask], dict[str, Any]]


def _n(task: LockedTask, name: str) -> int:
    value = task.variables.get(name)
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else 0


def _ref(task: LockedTask, prefix: str, counter: str | None = None) -> str:
    """A reference unique per instance (and per multi-instance round): local correlation keys must not clash."""
    suffix = f"-{_n(task, counter)}" if counter else ""
    return f"{prefix}-{task.process_instance_id}{suffix}"


OUTPUTS: dict[TaskType, Outputs] = {
    TaskType.ORDER_REGISTER: lambda t: {
        "orderNumber": t.business_key or _ref(t, "ORD"),
        "customerName": "基准测试客户",
        "customerEmail": "",
        "requestedDeliveryDate": "2099-06-30",
        "totalAmount": "74658.00",
        "lineCount": 2,
    },
    TaskType.ORDER_RECORD_REVIEW: lambda t: {"reviewId": 1, "leadTimeDays": 3650, "targetDeliveryDate": "2099-06-30"},
    TaskType.ORDER_PRICE: lambda t: {
        "priceApprovalId": 1,
        "listTotal": "74658.00",
        "discountPercent": "0",
        "netTotal": "74658.00",
    },
    TaskType.ORDER_RECORD_PRICE_DECISION: lambda t: {"priceAccepted": True},
    TaskType.CONTRACT_DRAFT: lambda t: {
        "contractId": 1,
        "contractNumber": _ref(t, "HT"),
        "contractVersion": 1,
        "contractDocumentId": 1,
    },
    TaskType.CONTRACT_RECORD_LEGAL_REVIEW: lambda t: {"legalApproved": True},
    TaskType.CONTRACT_RECORD_SIGNATURE: lambda t: {
        "contractNumber": t.variables.get("contractNumber") or _ref(t, "HT")
    },
    TaskType.HANDOVER_GENERATE: lambda t: {"handoverSheetId": 1, "handoverDocumentId": 1, "specialItemCount": 0},
    # Not paid when checked: the order waits for DepositReceived, which the benchmark's bank sends.
    TaskType.ORDER_CHECK_DEPOSIT: lambda t: {"depositPaid": False},
    TaskType.ACCEPTANCE_RECORD: lambda t: {"acceptanceRound": 1, "certificateDocumentId": 1},
    TaskType.PRODUCTION_PLAN: lambda t: {
        "planId": 1,
        "planVersion": 1,
        "craftDocument": "GY-基准",
        "customerName": "基准测试客户",
        "productionDueDate": "2099-06-01",
        "productionDueAt": FAR.strftime("%Y-%m-%dT%H:%M:%SZ"),  # a String: the timer cycle splices it
        "delayReportOpen": False,
        "stageCount": STAGE_COUNT,
    },
    TaskType.PRODUCTION_CHECK_MATERIALS: lambda t: {"shortageCount": 1},
    TaskType.PRODUCTION_PURCHASE: lambda t: {
        "purchaseOrderNumber": _ref(t, "PO", "shortageIndex"),
        "purchaseDescription": "冷轧钢板 100 kg",
    },
    TaskType.PRODUCTION_LOAD_STAGE: lambda t: {
        "stageId": _n(t, "stageIndex") + 1,
        "stageName": "装配",
        "stageOwner": "生产一组",
        "stagePlannedStart": "2099-05-01",
        "stageMilestone": "2099-05-10",
    },
    TaskType.PRODUCTION_RECORD_FINAL_INSPECTION: lambda t: {"finalInspectionRound": 1},
    TaskType.PRODUCTION_PACK: lambda t: {"workOrderDocumentId": 1},
    TaskType.INSTALLATION_OPEN: lambda t: {
        "installationId": 1,
        "siteAddress": "浙江省杭州市西湖区文三路 100 号",
        "customerName": "基准测试客户",
        "customerPhone": "0571-88886666",
        "installTeam": "安装一组",
    },
    TaskType.INSTALLATION_PLAN: lambda t: {"installationPlanDocumentId": 1},
    TaskType.INSTALLATION_RECORD_INSPECTION: lambda t: {"installationInspectionRound": 1},
    TaskType.COLLECTION_REGISTER: lambda t: {"installmentCount": 3},
    TaskType.COLLECTION_LOAD: lambda t: {
        "installmentId": _n(t, "loopCounter") + 1,
        "installmentKey": _ref(t, "INST", "loopCounter"),
        "installmentKind": ("deposit", "progress", "final")[_n(t, "loopCounter") % 3],
        "amount": "1000.00",
        "dueDate": "2099-06-01",
        "noticeAt": FAR,
        "overdueAt": FAR,
    },
}

# A payment arrived (the benchmark's bank paid in full): the round ends through its error boundary.
SETTLES = {TaskType.COLLECTION_CHECK_PAYMENT}


def outcome(task_type: TaskType, task: LockedTask) -> Outcome:
    """What a no-op handler reports: the happy path's variables, or the settled round's BPMN error."""
    if task_type in SETTLES:
        return Outcome("bpmn_error", {}, error_code=SETTLED, message="benchmark: paid in full")
    make = OUTPUTS.get(task_type)
    return Outcome("complete", make(task) if make else {})
