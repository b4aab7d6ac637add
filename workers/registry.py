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
    COLLECTION_REGISTER = "doorflow.collection.register_installments"
    COLLECTION_SEND_NOTICE = "doorflow.collection.send_notice"
    COLLECTION_MARK_OVERDUE = "doorflow.collection.mark_overdue"
    COLLECTION_CHECK_PAYMENT = "doorflow.collection.check_payment"
    COLLECTION_DUNNING_STEP = "doorflow.collection.take_dunning_step"
    COLLECTION_FLAG_RISK = "doorflow.collection.flag_risk"
    COLLECTION_RECORD_LEGAL = "doorflow.collection.record_legal_action"


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
    TaskType.COLLECTION_REGISTER: TaskSpec(
        name="登记分期应收款",
        description="按合同付款计划登记订单的各期应收款（定金/进度款/尾款，同一订单只登记一次），"
        "输出每期的结算通知时间与逾期时间供多实例子流程使用。",
        module="collection_register",
        inputs=("orderId", "orderNumber", "paymentSchedule", "contractNumber", "customerName", "customerEmail"),
        outputs=("installments", "installmentCount"),
    ),
    TaskType.COLLECTION_SEND_NOTICE: TaskSpec(
        name="发送结算通知单",
        description="生成结算通知单文件并通过 SMTP 邮件发送给客户；客户无邮箱时只记录不发送。"
        "已结清则抛出 INSTALLMENT_SETTLED。",
        module="collection_send_notice",
        inputs=("installment",),
        outputs=("noticeDocumentId", "noticeEmail"),
    ),
    TaskType.COLLECTION_MARK_OVERDUE: TaskSpec(
        name="标记逾期",
        description="到期未结清的分期款标记为逾期，催收从第 1 步开始。已结清则抛出 INSTALLMENT_SETTLED。",
        module="collection_mark_overdue",
        inputs=("installment",),
        outputs=("stepNo",),
    ),
    TaskType.COLLECTION_CHECK_PAYMENT: TaskSpec(
        name="核对到账",
        description="收到付款消息后核对该期余额：已全部结清则抛出 INSTALLMENT_SETTLED 中止催收，部分付款则继续等待。",
        module="collection_check_payment",
        inputs=("installment",),
        outputs=(),
    ),
    TaskType.COLLECTION_DUNNING_STEP: TaskSpec(
        name="执行催收步骤",
        description="执行并记录催收阶梯中的一步：提醒邮件、催款函（生成文件），或记录电话/上门拜访的原因与结果。",
        module="collection_dunning_step",
        inputs=(
            "installment",
            "stepNo",
            "dunningStep",
            "dunningReason",
            "dunningResult",
            "promisedPayDate",
            "visitedPerson",
        ),
        outputs=("stepNo",),
    ),
    TaskType.COLLECTION_FLAG_RISK: TaskSpec(
        name="客户风险预警",
        description="催收阶梯走完仍未结清：给客户加风险标记，分期款转入法务处理。",
        module="collection_flag_risk",
        inputs=("installment",),
        outputs=("installmentBalance",),
    ),
    TaskType.COLLECTION_RECORD_LEGAL: TaskSpec(
        name="记录法务处理",
        description="把法务对逾期分期款的处理决定（律师函、诉讼、仲裁、还款协议）和意见记入分期款档案。",
        module="collection_record_legal",
        inputs=("installment", "legalMeasure", "legalComment"),
        outputs=(),
    ),
}
