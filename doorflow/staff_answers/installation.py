"""Simulated answers for the installation user tasks: element id → form variables."""

from __future__ import annotations

from datetime import timedelta

from doorflow.history import UserTask
from doorflow.staff import Answer
from doorflow.staff_answers import today


def _schedule(_: UserTask) -> dict[str, object]:
    """Installers pick a date a week ahead, as they would in Tasklist."""
    return {"installDate": (today() + timedelta(days=7)).isoformat(), "installTeam": "安装一组"}


ANSWERS: dict[str, Answer] = {
    "ScheduleInstallation": _schedule,
    "ConfirmInstallationDate": {"dateDecision": "confirmed", "confirmNote": "已电话联系客户，客户确认该日期。"},
    "PreInstallCheck": {
        "siteReady": "yes",
        "goodsDamaged": "no",
        "checkNotes": "洞口尺寸复核无误，门扇及配件外观完好。",
    },
    "Install": {"installNote": "按标准工序完成安装，调试开关顺畅，现场已清理。"},
    "InspectInstallation": {"installResult": "passed", "installFailCause": None},
    "FixInstallation": {"fixNote": "已调整合页与门缝，密封条重新安装。"},
}
