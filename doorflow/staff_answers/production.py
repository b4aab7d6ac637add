"""Simulated answers for the production user tasks: element id → form variables."""

from __future__ import annotations

from doorflow.staff import Answer

ANSWERS: dict[str, Answer] = {
    "ReviewPlan": {
        "planDecision": "approved",
        "planReviewComments": "工艺路线与工艺文件版本一致，各阶段产能安排合理，同意。",
    },
    "IncomingInspection": {"incomingResult": "passed", "incomingFailCause": None},
    "ReportStageProgress": {
        "progressPercent": 100,
        "progressNote": "本阶段按计划完成，自检合格。",
        "stageCompleted": "yes",
    },
    "FinalInspection": {"finalResult": "passed", "finalFailCause": None},
    "Rework": {"reworkNote": "按不合格原因逐樘返修并自检，已符合工艺文件要求。"},
    "HandleNoSupplier": {"supplierRemedyNote": "经评审恢复备选供应商的合格资格，重新下单。"},
    "ReportDelay": {
        "delayCause": "internal",
        "delayCauseDetail": "表面处理线设备检修，涂装工序排产推迟。",
        "delayRemedy": "安排周末加班并增开一条手工喷涂线。",
        "newDueDate": "2099-12-31",
        "delayResponsibility": "生产部涂装车间",
    },
}
