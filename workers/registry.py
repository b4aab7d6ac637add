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
    ORDER_RECORD_REVIEW = "doorflow.order.record-review"
    ORDER_RECORD_FEASIBILITY = "doorflow.order.record-feasibility"
    ORDER_RECORD_NEGOTIATION = "doorflow.order.record-negotiation"
    ORDER_PRICE = "doorflow.order.price"
    ORDER_RECORD_PRICE_DECISION = "doorflow.order.record-price-decision"
    CONTRACT_DRAFT = "doorflow.contract.draft"
    CONTRACT_RECORD_LEGAL_REVIEW = "doorflow.contract.record-legal-review"
    CONTRACT_RECORD_SIGNATURE = "doorflow.contract.record-signature"
    HANDOVER_GENERATE = "doorflow.handover.generate"
    HANDOVER_RECORD_CONFIRMATIONS = "doorflow.handover.record-confirmations"
    ORDER_RECORD_DEPOSIT = "doorflow.order.record-deposit"
    DELIVERY_RECORD_SHIPMENT = "doorflow.delivery.record-shipment"
    ACCEPTANCE_RECORD = "doorflow.acceptance.record"
    FOLLOWUP_RECORD_VISIT = "doorflow.followup.record-visit"
    # --- production (production.bpmn) ---
    # --- installation (installation.bpmn) ---
    # --- after-sales (after-sales.bpmn) ---
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
        description="系统登记新订单（状态改为已登记），把订单概要和流程所需的配置（最短交期、定金提醒、回访间隔）写入流程变量。",
        module="order_register",
        inputs=("orderId",),
        outputs=(
            "orderNumber",
            "customerName",
            "customerEmail",
            "requestedDeliveryDate",
            "totalAmount",
            "lineCount",
            "minLeadTimeDays",
            "depositReminderAfter",
            "followUpDelay",
        ),
    ),
    TaskType.ORDER_RECORD_REVIEW: TaskSpec(
        name="记录订单评审",
        description="保存生产产能、原材料供应、安装能力三方评审意见，并计算评审日至交货日的天数供可行性决策表使用。",
        module="order_record_review",
        inputs=(
            "orderId",
            "reviewDate",
            *(f"{d}{f}" for d in ("production", "material", "installation") for f in ("Ok", "EarliestDate", "Comment")),
        ),
        outputs=("reviewId", "leadTimeDays", "targetDeliveryDate"),
    ),
    TaskType.ORDER_RECORD_FEASIBILITY: TaskSpec(
        name="记录评审结论",
        description="保存可行性决策表的结论；可行则订单进入定价，不可行则进入销售协商。",
        module="order_record_feasibility",
        inputs=("reviewId", "feasibility"),
        outputs=("feasible", "feasibilityReason"),
    ),
    TaskType.ORDER_RECORD_NEGOTIATION: TaskSpec(
        name="记录协商结果",
        description="保存销售与客户的协商结果：约定新交货日期（重新评审）或客户不接受（订单拒绝）。",
        module="order_record_negotiation",
        inputs=("reviewId", "negotiationOutcome", "agreedDeliveryDate", "negotiationComment"),
        outputs=("targetDeliveryDate",),
    ),
    TaskType.ORDER_PRICE: TaskSpec(
        name="计算订单价格",
        description="计算目录价合计、折扣率（本轮申请的折扣，否则订单上的折扣）和折后总价，新建一轮价格审批记录。",
        module="order_price",
        inputs=("orderId", "requestedDiscountPercent"),
        outputs=("priceApprovalId", "listTotal", "discountPercent", "netTotal"),
    ),
    TaskType.ORDER_RECORD_PRICE_DECISION: TaskSpec(
        name="记录价格审批",
        description="保存价格审批结果（无需审批、批准或驳回，含审批人和意见）。",
        module="order_record_price_decision",
        inputs=("priceApprovalId", "approverGroup", "priceDecision", "priceComment", "priceApprovedBy"),
        outputs=("priceAccepted",),
    ),
    TaskType.CONTRACT_DRAFT: TaskSpec(
        name="起草合同",
        description="按合同模板生成新版销售合同（规格、数量、价格、交期、质量标准、付款方式、违约责任），保留历次版本。",
        module="contract_draft",
        inputs=("orderId", "contractRevisionNote"),
        outputs=("contractId", "contractNumber", "contractVersion", "contractDocumentId"),
    ),
    TaskType.CONTRACT_RECORD_LEGAL_REVIEW: TaskSpec(
        name="记录法务审核",
        description="把法务的审核结论和意见保存到当前合同版本。",
        module="contract_record_legal_review",
        inputs=("contractId", "legalDecision", "legalComments", "legalReviewer"),
        outputs=("legalApproved",),
    ),
    TaskType.CONTRACT_RECORD_SIGNATURE: TaskSpec(
        name="登记合同签署",
        description="登记客户签署日期和签署人，合同与订单改为已签署，并按付款条款生成付款计划。",
        module="contract_record_signature",
        inputs=("contractId", "signedOn", "signedBy"),
        outputs=("paymentSchedule", "contractNumber"),
    ),
    TaskType.HANDOVER_GENERATE: TaskSpec(
        name="生成订单交接单",
        description="生成订单交接单（基本资料、客户需求、特殊事项标记、附件清单）并存档。",
        module="handover_generate",
        inputs=("orderId",),
        outputs=("handoverSheetId", "handoverDocumentId", "specialItemCount"),
    ),
    TaskType.HANDOVER_RECORD_CONFIRMATIONS: TaskSpec(
        name="记录交接确认",
        description="保存项目部、客服部、财务部的接收确认（确认人、时间），订单改为已交接。",
        module="handover_record_confirmations",
        inputs=(
            "handoverSheetId",
            *(
                f"{d}{f}"
                for d in ("project", "customerService", "finance")
                for f in ("ConfirmedBy", "ConfirmedAt", "ConfirmComment")
            ),
        ),
        outputs=(),
    ),
    TaskType.ORDER_RECORD_DEPOSIT: TaskSpec(
        name="记录定金到账",
        description="定金到账后记录并把订单改为生产中。",
        module="order_record_deposit",
        inputs=("orderId",),
        outputs=(),
    ),
    TaskType.DELIVERY_RECORD_SHIPMENT: TaskSpec(
        name="记录发货",
        description="保存承运商、运单号和发货日期，订单改为已发货。",
        module="delivery_record_shipment",
        inputs=("orderId", "carrier", "trackingNumber", "shippedOn"),
        outputs=(),
    ),
    TaskType.ACCEPTANCE_RECORD: TaskSpec(
        name="记录验收并出具证书",
        description="保存本轮验收结果和缺陷；验收合格时生成验收合格证书，订单改为已验收。",
        module="acceptance_record",
        inputs=("orderId", "acceptancePassed", "acceptanceDefects", "acceptedBy", "reworkNote"),
        outputs=("acceptanceRound", "certificateDocumentId"),
    ),
    TaskType.FOLLOWUP_RECORD_VISIT: TaskSpec(
        name="记录回访",
        description="保存回访的满意度评分和意见，订单改为已完成。",
        module="followup_record_visit",
        inputs=("orderId", "satisfactionScore", "visitComments", "visitedBy"),
        outputs=(),
    ),
    # --- production ---
    # --- installation ---
    # --- after-sales ---
    # --- payment collection ---
}
