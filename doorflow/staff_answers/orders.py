"""Simulated answers for the door-order user tasks: element id → form variables (the happy path)."""

from __future__ import annotations

from doorflow.history import UserTask
from doorflow.staff import Answer
from doorflow.staff_answers import today

TRACKING_NUMBER = "SF1234567890"  # what simulated logistics prints on the waybill and reports on delivery


def _today(_: UserTask) -> dict[str, str]:
    return {"signedOn": today().isoformat(), "signedBy": "张建国（客户法定代表人）"}


def _shipped(_: UserTask) -> dict[str, str]:
    return {"carrier": "顺丰快运", "trackingNumber": TRACKING_NUMBER, "shippedOn": today().isoformat()}


ANSWERS: dict[str, Answer] = {
    "ReviewProductionCapacity": {"productionOk": "yes", "productionComment": "可排入下月生产计划"},
    "ReviewMaterialSupply": {"materialOk": "yes", "materialComment": "冷轧钢板、木皮库存充足"},
    "ReviewInstallationCapacity": {"installationOk": "yes", "installationComment": "安装二队可安排"},
    "NegotiateDeliveryDate": {
        "negotiationOutcome": "agreed",
        "agreedDeliveryDate": "2099-09-30",
        "negotiationComment": "客户同意交期顺延三个月",
    },
    "ApprovePrice": {"priceDecision": "approved", "priceApprovedBy": "李经理", "priceComment": "老客户，同意"},
    "RevisePrice": {"requestedDiscountPercent": 5, "priceRevisionComment": "折扣降至 5%"},
    "LegalReview": {"legalDecision": "approved", "legalReviewer": "赵律师", "legalComments": "条款完整"},
    "ReviseContract": {"contractRevisionNote": "按法务意见修改违约条款"},
    "RecordCustomerSignature": _today,
    "ConfirmHandoverProject": {"projectConfirmedBy": "项目部 陈工", "projectConfirmComment": "已接收"},
    "ConfirmHandoverCustomerService": {
        "customerServiceConfirmedBy": "客服部 刘敏",
        "customerServiceConfirmComment": "已建客户档案",
    },
    "ConfirmHandoverFinance": {"financeConfirmedBy": "财务部 周会计", "financeConfirmComment": "已登记应收"},
    "RemindDeposit": {"depositReminderChannel": "phone", "depositReminderNote": "客户承诺三日内付定金"},
    "ShipOrder": _shipped,
    "AcceptInstallation": {"acceptancePassed": "yes", "acceptedBy": "张建国", "acceptanceDefects": ""},
    "ReworkInstallation": {"reworkNote": "已调整门扇间隙并更换密封条"},
    "FollowUpVisit": {"satisfactionScore": 5, "visitedBy": "客服部 刘敏", "visitComments": "安装规范，很满意"},
}
