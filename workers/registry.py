"""Every service-task type doorflow implements, declared once.

Diagrams (``camunda:topic`` of external service tasks), worker modules and the Camunda Modeler element
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
    ORDER_CHECK_DEPOSIT = "doorflow.order.check-deposit"
    ORDER_RECORD_DEPOSIT = "doorflow.order.record-deposit"
    ORDER_RECORD_DEPOSIT_REMINDER = "doorflow.order.record-deposit-reminder"
    DELIVERY_RECORD_SHIPMENT = "doorflow.delivery.record-shipment"
    ACCEPTANCE_RECORD = "doorflow.acceptance.record"
    FOLLOWUP_RECORD_VISIT = "doorflow.followup.record-visit"
    ORDER_CANCEL = "doorflow.order.cancel"
    # --- hold, resume, cancel (order-hold.bpmn, started by a sales manager) ---
    ORDER_HOLD_ACTION = "doorflow.order.hold-action"
    # --- production (production.bpmn) ---
    PRODUCTION_PLAN = "doorflow.production.plan"
    PRODUCTION_RECORD_REVIEW = "doorflow.production.record_review"
    PRODUCTION_CHECK_MATERIALS = "doorflow.production.check_materials"
    PRODUCTION_PURCHASE = "doorflow.production.purchase"
    PRODUCTION_STOCK_IN = "doorflow.production.stock_in"
    PRODUCTION_RETURN_REORDER = "doorflow.production.return_reorder"
    PRODUCTION_LOAD_STAGE = "doorflow.production.load_stage"
    PRODUCTION_RECORD_PROGRESS = "doorflow.production.record_progress"
    PRODUCTION_RECORD_FINAL_INSPECTION = "doorflow.production.record_final_inspection"
    PRODUCTION_PACK = "doorflow.production.pack"
    PRODUCTION_RECORD_DELAY = "doorflow.production.record_delay"
    PRODUCTION_CHECK_DUE = "doorflow.production.check_due"
    # --- installation (installation.bpmn) ---
    INSTALLATION_OPEN = "doorflow.installation.open"
    INSTALLATION_PLAN = "doorflow.installation.plan"
    INSTALLATION_RECORD_CHECK = "doorflow.installation.record_check"
    INSTALLATION_REQUEST_REPLACEMENT = "doorflow.installation.request_replacement"
    INSTALLATION_RECORD_INSPECTION = "doorflow.installation.record_inspection"
    INSTALLATION_COMPLETE = "doorflow.installation.complete"
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
    # --- change requests (event subprocess 订单变更 in door-order.bpmn) ---
    CHANGE_LOAD = "doorflow.change.load"
    CHANGE_ASSESS = "doorflow.change.assess"
    CHANGE_REVIEW = "doorflow.change.review"
    CHANGE_APPLY = "doorflow.change.apply"
    CHANGE_REJECT = "doorflow.change.reject"
    # --- payment collection (payment-collection.bpmn) ---
    COLLECTION_REGISTER = "doorflow.collection.register_installments"
    COLLECTION_LOAD = "doorflow.collection.load_installment"
    COLLECTION_SEND_NOTICE = "doorflow.collection.send_notice"
    COLLECTION_MARK_OVERDUE = "doorflow.collection.mark_overdue"
    COLLECTION_CHECK_PAYMENT = "doorflow.collection.check_payment"
    COLLECTION_DUNNING_STEP = "doorflow.collection.take_dunning_step"
    COLLECTION_FLAG_RISK = "doorflow.collection.flag_risk"
    COLLECTION_RECORD_LEGAL = "doorflow.collection.record_legal_action"
    # --- supplier scorecards (supplier-evaluation.bpmn) ---
    SUPPLIERS_COLLECT = "doorflow.suppliers.collect"
    SUPPLIERS_LOAD = "doorflow.suppliers.load"
    SUPPLIERS_RECORD_CLASS = "doorflow.suppliers.record_class"
    # --- confidential documents (document-access.bpmn) ---
    DOCUMENT_REGISTER_ACCESS = "doorflow.document.register-access"
    DOCUMENT_DECIDE_ACCESS = "doorflow.document.decide-access"
    DOCUMENT_EXPIRE_ACCESS = "doorflow.document.expire-access"


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
        description="系统登记新订单（状态改为已登记），把订单概要写入流程变量。最短交期、定金提醒和回访间隔不是流程变量："
        "引擎在判定和创建定时器时读取配置。",
        module="order_register",
        inputs=("orderId",),
        outputs=(
            "orderNumber",
            "customerName",
            "customerEmail",
            "requestedDeliveryDate",
            "totalAmount",
            "lineCount",
        ),
    ),
    TaskType.ORDER_RECORD_REVIEW: TaskSpec(
        name="记录订单评审",
        description="保存生产产能、原材料供应、安装能力三方评审意见，"
        "并计算评审日（引擎时间 reviewedAt 在工厂时区的日期）至交货日的天数供可行性决策表使用。",
        module="order_record_review",
        inputs=(
            "orderId",
            "reviewedAt",
            *(f"{d}{f}" for d in ("production", "material", "installation") for f in ("Ok", "EarliestDate", "Comment")),
        ),
        outputs=("reviewId", "leadTimeDays", "targetDeliveryDate"),
    ),
    TaskType.ORDER_RECORD_FEASIBILITY: TaskSpec(
        name="记录评审结论",
        description="保存可行性决策表的结论；可行则订单进入定价，不可行则进入销售协商。",
        module="order_record_feasibility",
        inputs=("reviewId", "feasible", "feasibilityReason"),
        outputs=(),
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
        description="登记客户签署日期和签署人，合同与订单改为已签署；付款计划随合同保存，回款子流程按订单读取。",
        module="contract_record_signature",
        inputs=("contractId", "signedOn", "signedBy"),
        outputs=("contractNumber",),
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
    TaskType.ORDER_CHECK_DEPOSIT: TaskSpec(
        name="查询定金是否已到账",
        description="等待定金消息之前先查数据库：定金分期已付清则不再等待（消息不会被引擎缓存，定金可能早于交接完成到账）。",
        module="order_check_deposit",
        inputs=("orderId",),
        outputs=("depositPaid",),
    ),
    TaskType.ORDER_RECORD_DEPOSIT: TaskSpec(
        name="记录定金到账",
        description="定金到账后记录并把订单改为生产中。",
        module="order_record_deposit",
        inputs=("orderId",),
        outputs=(),
    ),
    TaskType.ORDER_RECORD_DEPOSIT_REMINDER: TaskSpec(
        name="记录定金催收",
        description="保存财务催收定金的方式（电话、电子邮件、上门）和沟通记录，每次催收一条审计记录。",
        module="order_record_deposit_reminder",
        inputs=("orderId", "depositReminderChannel", "depositReminderNote"),
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
    TaskType.PRODUCTION_PLAN: TaskSpec(
        name="编制生产计划",
        description="按订单交期减去缓冲天数排定生产截止日，按配置的工序（下料、成型、表面处理、装配、包装）倒排各阶段里程碑和负责人，"
        "注明所依据的工艺文件版本；被驳回后重新编制即生成新版本。输出截止时间 productionDueAt 供延期定时器使用"
        "（检查间隔由引擎读取配置），阶段数 stageCount 供分阶段生产的多实例使用（各阶段存于数据库）。",
        module="production_plan",
        inputs=("orderId",),
        outputs=(
            "planId",
            "planVersion",
            "craftDocument",
            "customerName",
            "productionDueDate",
            "productionDueAt",
            "delayReportOpen",
            "stageCount",
        ),
    ),
    TaskType.PRODUCTION_RECORD_REVIEW: TaskSpec(
        name="记录计划评审结果",
        description="记录技术部对生产计划的评审结论（通过或驳回）及意见。",
        module="production_record_review",
        inputs=("planId", "planDecision", "planReviewComments"),
        outputs=(),
    ),
    TaskType.PRODUCTION_CHECK_MATERIALS: TaskSpec(
        name="物料检查",
        description="按物料清单计算订单所需物料，从库存中预留可用数量，缺料清单按计划存入数据库，"
        "输出缺料项数 shortageCount（缺料采购多实例的实例数）。",
        module="production_check_materials",
        inputs=("planId",),
        outputs=("shortageCount",),
    ),
    TaskType.PRODUCTION_PURCHASE: TaskSpec(
        name="下达采购订单",
        description="按序号 shortageIndex（多实例 loopCounter）读取计划的一项缺料，"
        "按供应商等级（A 优秀、B 合格、C 观察期）优先、同等级按综合评分选择供应商并下达采购订单"
        "（取消资格的供应商从不下单；没有可下单的供应商时抛出 BPMN 错误 NO_QUALIFIED_SUPPLIER），"
        "输出采购单号（到货消息的局部关联键 purchaseOrderNumber）。",
        module="production_purchase",
        inputs=("planId", "shortageIndex", "supplierRemedyNote"),
        outputs=("purchaseOrderNumber", "purchaseDescription"),
    ),
    TaskType.PRODUCTION_STOCK_IN: TaskSpec(
        name="检验合格入库",
        description="记录来料检验合格，货物入库并预留给本订单。",
        module="production_stock_in",
        inputs=("purchaseOrderNumber",),
        outputs=(),
    ),
    TaskType.PRODUCTION_RETURN_REORDER: TaskSpec(
        name="退货并重新采购",
        description="记录来料检验不合格及原因，退回货物，并重新下达采购订单（优先选择其他合格供应商；"
        "没有可下单的供应商时抛出 BPMN 错误 NO_QUALIFIED_SUPPLIER）。",
        module="production_return_reorder",
        inputs=("purchaseOrderNumber", "incomingFailCause", "supplierRemedyNote"),
        outputs=("purchaseOrderNumber", "purchaseDescription"),
    ),
    TaskType.PRODUCTION_LOAD_STAGE: TaskSpec(
        name="读取阶段计划",
        description="按序号 stageIndex（多实例 loopCounter）读取生产计划的一个阶段：名称、负责人、计划开始日期"
        "和里程碑，供报告阶段进度使用。",
        module="production_load_stage",
        inputs=("planId", "stageIndex"),
        outputs=("stageId", "stageName", "stageOwner", "stagePlannedStart", "stageMilestone"),
    ),
    TaskType.PRODUCTION_RECORD_PROGRESS: TaskSpec(
        name="记录阶段进度",
        description="保存生产阶段的进度报告（完成百分比、说明），阶段完成时标记为已完成。",
        module="production_record_progress",
        inputs=("stageId", "progressPercent", "progressNote", "stageCompleted"),
        outputs=(),
    ),
    TaskType.PRODUCTION_RECORD_FINAL_INSPECTION: TaskSpec(
        name="记录成品检验",
        description="保存成品检验结果；不合格须记录原因，复检时一并记录此前的返工说明。",
        module="production_record_final_inspection",
        inputs=("planId", "finalResult", "finalFailCause", "reworkNote"),
        outputs=("finalInspectionRound",),
    ),
    TaskType.PRODUCTION_PACK: TaskSpec(
        name="包装并出具生产任务单",
        description="标记订单产品已包装，生成并存档生产任务单。",
        module="production_pack",
        inputs=("planId",),
        outputs=("workOrderDocumentId",),
    ),
    TaskType.PRODUCTION_RECORD_DELAY: TaskSpec(
        name="记录延期并告知客户",
        description="记录生产延期的原因（不可抗力或内部原因）、补救措施、新交期和责任，生成延期告知函告知客户。",
        module="production_record_delay",
        inputs=("planId", "delayCause", "delayCauseDetail", "delayRemedy", "newDueDate", "delayResponsibility"),
        outputs=("delayId", "delayNoticeDocumentId", "delayReportOpen"),
    ),
    TaskType.PRODUCTION_CHECK_DUE: TaskSpec(
        name="检查是否逾期",
        description="从生产截止时间起按设定间隔检查：按计划当前的截止日期（变更或已报延期会推后）生产是否已逾期；"
        "已在填报延期时不重复提出。",
        module="production_check_due",
        inputs=("planId", "checkedAt", "delayReportOpen"),
        outputs=("productionLate", "delayReportOpen"),
    ),
    # --- installation ---
    TaskType.INSTALLATION_OPEN: TaskSpec(
        name="建立安装任务",
        description="为订单建立安装记录，带出客户、现场地址和默认安装班组供排期表单使用。",
        module="installation_open",
        inputs=("orderId",),
        outputs=("installationId", "siteAddress", "customerName", "customerPhone", "installTeam"),
    ),
    TaskType.INSTALLATION_PLAN: TaskSpec(
        name="出具安装计划单",
        description="保存客户确认的安装日期、班组和地址，生成并存档安装计划单。",
        module="installation_plan",
        inputs=("installationId", "installDate", "installTeam", "siteAddress"),
        outputs=("installationPlanDocumentId",),
    ),
    TaskType.INSTALLATION_RECORD_CHECK: TaskSpec(
        name="记录安装前检查",
        description="保存安装前对现场和货物的检查结果。",
        module="installation_record_check",
        inputs=("installationId", "siteReady", "goodsDamaged", "checkNotes"),
        outputs=(),
    ),
    TaskType.INSTALLATION_REQUEST_REPLACEMENT: TaskSpec(
        name="申请更换货物",
        description="货物损坏时登记补发（更换）申请，等待补发货物到达的消息。",
        module="installation_request_replacement",
        inputs=("installationId", "checkNotes"),
        outputs=("replacementId",),
    ),
    TaskType.INSTALLATION_RECORD_INSPECTION: TaskSpec(
        name="记录安装检验",
        description="保存安装质量检验结果；不合格须记录原因，复检时记录整改说明。",
        module="installation_record_inspection",
        inputs=("installationId", "installResult", "installFailCause", "fixNote"),
        outputs=("installationInspectionRound",),
    ),
    TaskType.INSTALLATION_COMPLETE: TaskSpec(
        name="记录安装完成",
        description="标记安装完成（客户验收在订单主流程中进行）。",
        module="installation_complete",
        inputs=("installationId", "installNote"),
        outputs=(),
    ),
    # --- after-sales ---
    TaskType.AFTERSALES_PRIORITISE: TaskSpec(
        name="记录优先级与联系时限",
        description="记入决策表 service-priority 的优先级和首次联系小时数，按引擎时间算出首次联系截止时间。",
        module="aftersales_prioritise",
        inputs=("ticketId", "priority", "contactDeadlineHours", "engineNow"),
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
            "changeIsMajor",
            "changeImpactReason",
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
    # --- payment collection ---
    TaskType.COLLECTION_REGISTER: TaskSpec(
        name="登记分期应收款",
        description="按已签署合同的付款条款登记订单的各期应收款（定金/进度款/尾款，同一订单只登记一次），"
        "输出期数 installmentCount 供多实例子流程使用。",
        module="collection_register",
        inputs=("orderId", "orderNumber", "contractNumber", "customerName", "customerEmail"),
        outputs=("installmentCount",),
    ),
    TaskType.COLLECTION_LOAD: TaskSpec(
        name="读取本期应收款",
        description="多实例每一期的第一步：按订单和期序号（loopCounter，从 0 起）读取本期应收款，"
        "输出本期的关联键、金额、到期日、结算通知时间和逾期时间（子流程局部变量）。已结清则抛出 INSTALLMENT_SETTLED。",
        module="collection_load",
        inputs=("orderId", "loopCounter"),
        outputs=("installmentId", "installmentKey", "installmentKind", "amount", "dueDate", "noticeAt", "overdueAt"),
    ),
    TaskType.COLLECTION_SEND_NOTICE: TaskSpec(
        name="发送结算通知单",
        description="生成结算通知单文件并通过 SMTP 邮件发送给客户；客户无邮箱时只记录不发送。"
        "已结清则抛出 INSTALLMENT_SETTLED。",
        module="collection_send_notice",
        inputs=("installmentId",),
        outputs=("noticeDocumentId", "noticeEmail"),
    ),
    TaskType.COLLECTION_MARK_OVERDUE: TaskSpec(
        name="标记逾期",
        description="到期未结清的分期款标记为逾期，催收从第 1 步开始。已结清则抛出 INSTALLMENT_SETTLED。",
        module="collection_mark_overdue",
        inputs=("installmentId", "overdueAt"),
        outputs=("stepNo",),
    ),
    TaskType.COLLECTION_CHECK_PAYMENT: TaskSpec(
        name="核对到账",
        description="收到付款消息后核对该期余额：已全部结清则抛出 INSTALLMENT_SETTLED 中止催收，部分付款则继续等待。",
        module="collection_check_payment",
        inputs=("installmentId",),
        outputs=(),
    ),
    TaskType.COLLECTION_DUNNING_STEP: TaskSpec(
        name="执行催收步骤",
        description="执行并记录催收阶梯中的一步：提醒邮件、催款函（生成文件），或记录电话/上门拜访的原因与结果。",
        module="collection_dunning_step",
        inputs=(
            "installmentId",
            "stepNo",
            "dunningAction",
            "dunningChannel",
            "dunningTitle",
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
        inputs=("installmentId",),
        outputs=("installmentBalance",),
    ),
    TaskType.COLLECTION_RECORD_LEGAL: TaskSpec(
        name="记录法务处理",
        description="把法务对逾期分期款的处理决定（律师函、诉讼、仲裁、还款协议）和意见记入分期款档案。",
        module="collection_record_legal",
        inputs=("installmentId", "legalMeasure", "legalComment"),
        outputs=(),
    ),
    # --- hold, resume, cancel ---
    TaskType.ORDER_CANCEL: TaskSpec(
        name="执行订单取消",
        description="订单取消事件子流程的唯一步骤：未完成的生产计划及工序改为已取消，未结的采购单标记待与供应商处理，"
        "未付清的分期款取消（已付金额保留），记录应退还客户的已付款；文件全部保留。",
        module="order_cancel",
        inputs=("orderId",),
        outputs=("refundDue", "installmentsCancelled"),
    ),
    TaskType.ORDER_HOLD_ACTION: TaskSpec(
        name="执行暂停/恢复/取消",
        description="销售经理在 Tasklist 发起：按订单编号暂停（挂起整个流程树）、恢复（重新激活）"
        "或取消订单（订单流程经“订单取消”结束），必须填写原因；不允许的操作（已完成、已取消的订单等）以中文原因退回发起人。",
        module="order_hold_action",
        inputs=("orderNumber", "holdAction", "holdReason", "initiator"),
        outputs=("orderId", "orderStatus"),
    ),
    # --- supplier scorecards ---
    TaskType.SUPPLIERS_COLLECT: TaskSpec(
        name="汇总供应商评价数据",
        description="按评价期（截至今天的 DOORFLOW_SUPPLIER_EVALUATION_PERIOD_DAYS 天）汇总每家供应商的来料检验合格率、"
        "按期交货率、价格与参考价之比、退货处理情况，算出各项得分和综合评分并存储，输出供应商数 supplierCount。",
        module="suppliers_collect",
        inputs=(),
        outputs=("evaluationRunId", "supplierCount", "periodStart", "periodEnd"),
    ),
    TaskType.SUPPLIERS_LOAD: TaskSpec(
        name="读取供应商评价数据",
        description="按序号 supplierIndex（多实例 loopCounter）读取本次评价的一家供应商的评价数据，"
        "作为决策表 supplier-class 的输入。",
        module="suppliers_load",
        inputs=("evaluationRunId", "supplierIndex"),
        outputs=("evaluationId", "supplierName", "currentClass", "inspections", "score", "passRate", "onTimeRate"),
    ),
    TaskType.SUPPLIERS_RECORD_CLASS: TaskSpec(
        name="记录供应商等级",
        description="把决策表判定的等级和理由记入评价记录，并更新供应商名录中的等级与各项得分（采购下单据此选择供应商）。",
        module="suppliers_record_class",
        inputs=("evaluationId", "supplierClass", "classReason"),
        outputs=(),
    ),
    # --- confidential documents ---
    TaskType.DOCUMENT_REGISTER_ACCESS: TaskSpec(
        name="登记文档查阅申请",
        description="保存《文档查阅申请表》：申请人（Tasklist 发起人，或 API 指明的申请人）、文档、查阅原因，"
        "并按文档类别（合同类、项目类、客户类）确定审批的所属部门组；文档不存在、不是保密文档或未填原因时不受理。",
        module="document_register_access",
        inputs=("documentId", "accessReason", "initiator", "requestedBy"),
        outputs=("accessRequestId", "requestedBy", "ownerGroup", "documentTitle", "documentCategory"),
    ),
    TaskType.DOCUMENT_DECIDE_ACCESS: TaskSpec(
        name="记录查阅审批",
        description="保存所属部门的审批结论；审批人 accessApprover 由引擎记为完成审批任务的登录用户（不由表单填写），"
        "申请人本人审批时拒绝记录（四眼原则）。批准时授权查阅至审批时间（引擎时间 decidedAt）加配置的授权时长，"
        "输出到期时间 grantExpiresAt 供到期定时器使用。",
        module="document_decide_access",
        inputs=("accessRequestId", "accessDecision", "accessApprover", "accessComment", "decidedAt"),
        outputs=("accessGranted", "grantExpiresAt"),
    ),
    TaskType.DOCUMENT_EXPIRE_ACCESS: TaskSpec(
        name="查阅授权到期",
        description="授权期限已到：收回查阅授权，此后查阅须重新申请。",
        module="document_expire_access",
        inputs=("accessRequestId", "expiredAt"),
        outputs=(),
    ),
}
