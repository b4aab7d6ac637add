"""Simulated answers for the change-request user tasks (event subprocess 订单变更): element id → form variables.

The happy path is a minor change (small schedule and cost impact) that the departments and the
customer would approve if it were major; tests override the assessment to make it major.
"""

from __future__ import annotations

from doorflow.staff import Answer

ANSWERS: dict[str, Answer] = {
    "AssessChangeImpact": {
        "changeScheduleDays": 2,
        "changeQualityImpact": "none",
        "changeCostDelta": 800.0,
        "changeAssessmentNote": "更换饰面颜色，需重新订购贴面，工期增加 2 天",
    },
    "ReviewChangeTechnical": {"changeTechnicalApproved": True, "changeTechnicalComment": "工艺可行，图纸已更新"},
    "ReviewChangeProduction": {"changeProductionApproved": True, "changeProductionComment": "排产可调整"},
    "ReviewChangeFinance": {"changeFinanceApproved": True, "changeFinanceComment": "成本增加已计入报价"},
    "CustomerApproveChange": {"changeCustomerApproved": True, "changeCustomerNote": "客户同意延期与加价"},
}
