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
    # --- payment collection (payment-collection.bpmn) ---
    # --- change requests (event subprocess 订单变更 in door-order.bpmn) ---
    CHANGE_LOAD = "doorflow.change.load"
    CHANGE_ASSESS = "doorflow.change.assess"
    CHANGE_REVIEW = "doorflow.change.review"
    CHANGE_APPLY = "doorflow.change.apply"
    CHANGE_REJECT = "doorflow.change.reject"


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
    # --- payment collection ---
    # --- change requests ---
    TaskType.CHANGE_LOAD: TaskSpec(
        name="读取变更申请",
        description="按变更申请编号读取客户的变更申请，把变更编号、内容和明细写入子流程变量供评估和评审表单显示。",
        module="change_load",
        inputs=("changeRequestId",),
        outputs=("changeNumber", "changeDescription", "changeRequestedBy", "changeSummary"),
    ),
    TaskType.CHANGE_ASSESS: TaskSpec(
        name="记录影响评估",
        description="保存项目部对工期、质量、成本的影响评估和决策表判定的变更级别（重大或一般）。",
        module="change_assess",
        inputs=(
            "changeRequestId",
            "changeScheduleDays",
            "changeQualityImpact",
            "changeCostDelta",
            "changeAssessmentNote",
            "changeImpact",
        ),
        outputs=("changeIsMajor",),
    ),
    TaskType.CHANGE_REVIEW: TaskSpec(
        name="记录部门评审",
        description="保存技术部、生产部、财务部对重大变更的评审意见；各部门均同意才算通过。",
        module="change_review",
        inputs=(
            "changeRequestId",
            "changeTechnicalApproved",
            "changeTechnicalComment",
            "changeProductionApproved",
            "changeProductionComment",
            "changeFinanceApproved",
            "changeFinanceComment",
        ),
        outputs=("changeReviewsPassed",),
    ),
    TaskType.CHANGE_APPLY: TaskSpec(
        name="执行变更",
        description="更新订单的门扇明细和交期，生成新的订单版本号，审计记录变更前后；重大变更同时记录客户同意。",
        module="change_apply",
        inputs=("changeRequestId", "changeCustomerApproved", "changeCustomerNote"),
        outputs=("changeRevision",),
    ),
    TaskType.CHANGE_REJECT: TaskSpec(
        name="记录变更驳回",
        description="部门或客户不同意：变更申请记为已驳回并记录原因，订单保持不变。",
        module="change_reject",
        inputs=("changeRequestId", "changeCustomerApproved", "changeCustomerNote"),
        outputs=(),
    ),
}
