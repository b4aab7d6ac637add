"""Simulated answers for the aftersales user tasks: element id → form variables."""

from __future__ import annotations

from doorflow.staff import Answer

ANSWERS: dict[str, Answer] = {
    "FirstContact": {
        "customerReached": True,
        "initialSolution": "电话指导客户调整锁舌位置，未能解决，安排技术分析。",
        "solvedAtFirstContact": False,
    },
    "SuperviseContact": {"supervisorNote": "已指派当班售后专员立即致电客户。"},
    "TechnicalAnalysis": {
        "cause": "门框安装后沉降，锁舌与锁扣错位。",
        "repairDecision": "repair",
        "fieldVisitNeeded": True,
        "visitDate": "2026-12-02",
    },
    "RepairOrVisit": {"repairNotes": "上门调整合页并更换锁扣，开关顺畅，锁闭正常。"},
    "RevisitCustomer": {"satisfactionScore": 5, "revisitComments": "客户对处理速度满意。"},
}
