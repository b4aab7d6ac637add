"""doorflow.aftersales.resolve — record the resolution and compute the revisit date for the diagram's timer.

``resolvedAt`` is engine time (input mapping ``=now()``); the revisit date is the policy's [X]-th
working day after it on China's official calendar (models/calendar.py: the factory's schedule files, else
``chinese-calendar``; a year without either counts Monday to Friday and the ticket shows a warning).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from models import calendar
from models.aftersales import service
from workers.registry import TaskType
from workers.runtime import TaskContext
from workers.tasks.aftersales_vars import engine_time, key, ticket_id

TASK_TYPE = TaskType.AFTERSALES_RESOLVE


def business_key(variables: dict[str, Any]) -> str:
    return key(variables)


def handle(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    rule = service.RevisitRule(
        working_days=ctx.settings.aftersales_revisit_working_days,
        zone=ZoneInfo(ctx.settings.factory_timezone),
        time_of_day=ctx.settings.aftersales_revisit_time,
    )
    return service.resolve(
        ctx.session,
        ticket_id(variables),
        engine_time(variables, "resolvedAt"),
        rule,
        calendar.for_folder(ctx.settings.workdays_dir),
        actor=ctx.actor,
    )
