"""Every service-task type doorflow implements, declared once.

Diagrams (``zeebe:taskDefinition type``), worker modules and the Camunda Modeler element
templates all derive from this registry; ``tests/test_task_types.py`` keeps them in step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TaskType(enum.StrEnum):
    # --- door order (door-order.bpmn) ---
    ORDER_REGISTER = "doorflow.order.register"
    # --- production (production.bpmn) ---
    # --- installation (installation.bpmn) ---
    # --- after-sales (after-sales.bpmn) ---
    AFTERSALES_PRIORITISE = "doorflow.aftersales.prioritise"
    AFTERSALES_ESCALATE = "doorflow.aftersales.escalate"
    AFTERSALES_RECORD_SUPERVISION = "doorflow.aftersales.record_supervision"
    AFTERSALES_RECORD_CONTACT = "doorflow.aftersales.record_contact"
    AFTERSALES_RECORD_ANALYSIS = "doorflow.aftersales.record_analysis"
    AFTERSALES_RECORD_REPAIR = "doorflow.aftersales.record_repair"
    AFTERSALES_RECORD_FEEDBACK = "doorflow.aftersales.record_feedback"
    AFTERSALES_RESOLVE = "doorflow.aftersales.resolve"
    AFTERSALES_RECORD_REVISIT = "doorflow.aftersales.record_revisit"
    # --- payment collection (payment-collection.bpmn) ---


@dataclass(frozen=True)
class TaskSpec:
    """What a process owner needs to use a task type in Modeler."""

    name: str  # Chinese, shown in Modeler
    description: str  # Chinese
    module: str  # workers.tasks.<module>
    inputs: tuple[str, ...]  # process variables the worker reads
    outputs: tuple[str, ...]  # process variables the worker sets
    retries: int = 3


TASKS: dict[TaskType, TaskSpec] = {
    # --- door order ---
    TaskType.ORDER_REGISTER: TaskSpec(
        name="登记订单",
        description="系统登记新订单（状态改为已登记），并把订单编号、客户、金额写入流程变量供确认表单使用。",
        module="order_register",
        inputs=("orderId",),
        outputs=("orderNumber", "customerName", "totalAmount", "lineCount"),
    ),
    # --- production ---
    # --- installation ---
    # --- after-sales ---
    TaskType.AFTERSALES_PRIORITISE: TaskSpec(
        name="记录优先级与联系时限",
        description="记入决策表 service-priority 的优先级和首次联系小时数，按引擎时间算出首次联系截止时间。",
        module="aftersales_prioritise",
        inputs=("ticketId", "classification", "engineNow"),
        outputs=("priority", "contactDeadlineHours", "contactDueAt"),
    ),
    TaskType.AFTERSALES_ESCALATE: TaskSpec(
        name="首次联系超时升级",
        description="首次联系超过时限仍未完成：工单标记为已升级，并记录升级事件，交售后主管跟进。",
        module="aftersales_escalate",
        inputs=("ticketId", "engineNow"),
        outputs=("escalated",),
    ),
    TaskType.AFTERSALES_RECORD_SUPERVISION: TaskSpec(
        name="记录主管督办",
        description="把售后主管对超时工单采取的督办措施记入工单历史。",
        module="aftersales_record_supervision",
        inputs=("ticketId", "supervisorNote", "engineNow"),
        outputs=(),
    ),
    TaskType.AFTERSALES_RECORD_CONTACT: TaskSpec(
        name="记录首次联系",
        description="记录首次联系时间、是否联系上、初步解决方案、是否当场解决。",
        module="aftersales_record_contact",
        inputs=("ticketId", "customerReached", "initialSolution", "solvedAtFirstContact", "engineNow"),
        outputs=("solvedAtFirstContact",),
    ),
    TaskType.AFTERSALES_RECORD_ANALYSIS: TaskSpec(
        name="记录技术分析并告知客户",
        description="记录原因、维修或更换的决定、是否上门及日期，并记一条已告知客户的进度。",
        module="aftersales_record_analysis",
        inputs=("ticketId", "cause", "repairDecision", "fieldVisitNeeded", "visitDate", "engineNow"),
        outputs=("repairDecision",),
    ),
    TaskType.AFTERSALES_RECORD_REPAIR: TaskSpec(
        name="记录维修结果并告知客户",
        description="记录维修/更换完成情况，工单转为等待客户确认，并记一条已告知客户的进度。",
        module="aftersales_record_repair",
        inputs=("ticketId", "repairNotes", "engineNow"),
        outputs=(),
    ),
    TaskType.AFTERSALES_RECORD_FEEDBACK: TaskSpec(
        name="记录客户确认",
        description="记录客户对处理结果的确认；不满意则重新评估的轮次加一。",
        module="aftersales_record_feedback",
        inputs=("ticketId", "satisfied", "engineNow"),
        outputs=("reassessmentRounds",),
    ),
    TaskType.AFTERSALES_RESOLVE: TaskSpec(
        name="记录解决并计算回访日",
        description="以引擎时间记录解决时间，按国家法定工作日历（含调休）算出第 [X] 个工作日的回访日期。",
        module="aftersales_resolve",
        inputs=("ticketId", "resolvedAt"),
        outputs=("revisitDueOn", "revisitDueAt"),
    ),
    TaskType.AFTERSALES_RECORD_REVISIT: TaskSpec(
        name="记录回访",
        description="记录回访时间、满意度评分（1 至 5 分）和客户意见，工单关闭。",
        module="aftersales_record_revisit",
        inputs=("ticketId", "satisfactionScore", "revisitComments", "engineNow"),
        outputs=(),
    ),
    # --- payment collection ---
}
