"""The factory's working-day calendar: China's official schedule of holidays and adjusted working weekends.

The State Council publishes each year's schedule (放假与调休安排) late in the year before. Three sources,
first match wins for a whole year:

1. the factory's own schedule files, ``config/workdays/<year>.json`` (setting ``workdays_dir``), entered
   from the notice for a year the package below does not know yet;
2. the PyPI package ``chinese-calendar``;
3. nothing: Monday to Friday count, and every date computed so carries a visible warning. A missing
   year never stops a process (a revisit timer, a production plan): it is reported instead.

A schedule file that is not valid counts as missing, and its error is the warning: it names the entry.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
from pydantic import BaseModel, Field

WEEKDAY_NAMES = "一二三四五六日"


class Source(enum.StrEnum):
    FACTORY = "factory"  # config/workdays/<year>.json
    PACKAGE = "package"  # chinese-calendar
    WEEKDAYS = "weekdays"  # no schedule: Monday to Friday, with a warning


class ScheduleError(ValueError):
    """A schedule file or one of its entries breaks a rule; the message (Chinese / English) names the entry."""

    def __init__(self, where: str, zh: str, en: str) -> None:
        super().__init__(f"{where}: {zh} / {en}")
        self.where = where
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Entry:
    """One line of the notice: a named holiday (one day or a range) or an adjusted working day."""

    name: str
    days: tuple[date, ...]
    note: str | None = None


@dataclass(frozen=True)
class YearSchedule:
    year: int
    notice: str
    holidays: tuple[Entry, ...]
    workdays: tuple[Entry, ...]

    @property
    def holiday_dates(self) -> frozenset[date]:
        return frozenset(d for e in self.holidays for d in e.days)

    @property
    def workday_dates(self) -> frozenset[date]:
        return frozenset(d for e in self.workdays for d in e.days)


# --- parsing and validation -------------------------------------------------------------------

_TOP_KEYS = {"year", "notice", "holidays", "workdays"}
_ENTRY_KEYS = {"name", "date", "from", "to", "note"}
_LONGEST_HOLIDAY_DAYS = 15  # the longest run in any notice is 9 days; more is a typing error


def _day(value: object, where: str, key: str) -> date:
    if not isinstance(value, str):
        raise ScheduleError(where, f"{key} 须为 YYYY-MM-DD 格式的日期", f"{key} must be a YYYY-MM-DD date string")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ScheduleError(where, f"{key} 不是有效日期：{value!r}", f"{key} is not a valid date: {value!r}") from None


def _entry(raw: object, where: str, year: int, *, ranges: bool) -> Entry:
    if not isinstance(raw, dict):
        raise ScheduleError(where, "每一项须为一个对象", "each entry must be an object")
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:
        raise ScheduleError(where, f"未知字段 {unknown}", f"unknown keys {unknown}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScheduleError(where, "缺少名称 name（如“春节”）", "name is missing (e.g. 春节)")
    where = f"{where}（{name.strip()}）"
    note = raw.get("note")
    if note is not None and (not isinstance(note, str) or not note.strip()):
        raise ScheduleError(where, "note 须为非空文字", "note must be non-empty text")
    if "date" in raw:
        if "from" in raw or "to" in raw:
            raise ScheduleError(where, "date 与 from/to 只能二选一", "give either date or from/to, not both")
        days: tuple[date, ...] = (_day(raw["date"], where, "date"),)
    elif ranges and "from" in raw and "to" in raw:
        first, last = _day(raw["from"], where, "from"), _day(raw["to"], where, "to")
        if last < first:
            raise ScheduleError(where, f"to {last} 早于 from {first}", f"to {last} is before from {first}")
        if (last - first).days >= _LONGEST_HOLIDAY_DAYS:
            raise ScheduleError(
                where,
                f"假期超过 {_LONGEST_HOLIDAY_DAYS} 天，请核对日期",
                f"a holiday of more than {_LONGEST_HOLIDAY_DAYS} days: check the dates",
            )
        days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    else:
        keys = "date 或 from/to" if ranges else "date"
        raise ScheduleError(where, f"缺少 {keys}", f"{keys.replace('或', 'or')} is missing")
    for day in days:
        if day.year != year:
            raise ScheduleError(where, f"日期 {day} 不在 {year} 年内", f"date {day} is not in {year}")
    return Entry(name=name.strip(), days=days, note=note.strip() if isinstance(note, str) else None)


def parse_schedule(data: object, *, where: str, year: int | None = None) -> YearSchedule:
    """Validate one year's schedule (the JSON of a schedule file); ``year`` is the one its file name says.

    Rules: every date lies in that year; no date is both a holiday and a working day; an adjusted working
    day (调休上班) is a Saturday or Sunday; a holiday entry has at least one weekday, or a ``note`` says
    why it is entered at all (a weekend is a day off anyway).
    """
    if not isinstance(data, dict):
        raise ScheduleError(where, "文件内容须为一个 JSON 对象", "the file must hold one JSON object")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ScheduleError(where, f"未知字段 {unknown}", f"unknown keys {unknown}")
    declared = data.get("year")
    if not isinstance(declared, int) or isinstance(declared, bool) or not 2000 <= declared <= 2200:
        raise ScheduleError(where, "year 须为年份（如 2027）", "year must be a year number (e.g. 2027)")
    if year is not None and declared != year:
        raise ScheduleError(
            where,
            f"year {declared} 与文件名的年份 {year} 不符",
            f"year {declared} does not match the file name ({year})",
        )
    notice = data.get("notice")
    if not isinstance(notice, str) or not notice.strip():
        raise ScheduleError(
            where,
            "缺少 notice：国务院办公厅通知的标题与文号",
            "notice is missing: the title and number of the State Council's notice",
        )
    lists: dict[str, list[Any]] = {}
    for key in ("holidays", "workdays"):
        value = data.get(key, [])
        if not isinstance(value, list):
            raise ScheduleError(where, f"{key} 须为列表", f"{key} must be a list")
        lists[key] = value
    if not lists["holidays"]:
        raise ScheduleError(where, "holidays 为空：一年总有法定节假日", "holidays is empty: every year has some")
    holidays = tuple(
        _entry(raw, f"{where} holidays[{i}]", declared, ranges=True) for i, raw in enumerate(lists["holidays"])
    )
    workdays = tuple(
        _entry(raw, f"{where} workdays[{i}]", declared, ranges=False) for i, raw in enumerate(lists["workdays"])
    )
    off: dict[date, str] = {}
    for i, e in enumerate(holidays):
        label = f"{where} holidays[{i}]（{e.name}）"
        for day in e.days:
            if day in off:
                raise ScheduleError(label, f"{day} 已在 {off[day]} 中", f"{day} is already in {off[day]}")
            off[day] = label
        if all(day.weekday() >= 5 for day in e.days) and e.note is None:
            raise ScheduleError(
                label,
                f"{e.days[0]} 是星期{WEEKDAY_NAMES[e.days[0].weekday()]}，周末本就休息；若确需录入，请用 note 说明原因",
                f"{e.days[0]} is a weekend day, off anyway; give a note saying why it is entered",
            )
    on: dict[date, str] = {}
    for i, e in enumerate(workdays):
        label = f"{where} workdays[{i}]（{e.name}）"
        (day,) = e.days
        if day in off:
            raise ScheduleError(
                label, f"{day} 同时是假日（{off[day]}）", f"{day} is both a working day and a holiday ({off[day]})"
            )
        if day in on:
            raise ScheduleError(label, f"{day} 已在 {on[day]} 中", f"{day} is already in {on[day]}")
        if day.weekday() < 5:
            raise ScheduleError(
                label,
                f"调休上班日 {day} 是星期{WEEKDAY_NAMES[day.weekday()]}，须为周六或周日",
                f"an adjusted working day must be a Saturday or Sunday; {day} is a weekday",
            )
        on[day] = label
    return YearSchedule(year=declared, notice=notice.strip(), holidays=holidays, workdays=workdays)


@dataclass(frozen=True)
class FactorySchedules:
    """What a schedule folder holds: the valid years, and the error of each file (by name) that is not valid."""

    years: Mapping[int, YearSchedule] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)

    def error_of(self, year: int) -> str | None:
        return self.errors.get(f"{year}.json")


def _year_of(path: Path) -> int | None:
    return int(path.stem) if path.stem.isdigit() and len(path.stem) == 4 else None


def read_folder(folder: Path) -> FactorySchedules:
    """Every ``<year>.json`` of the folder; any other ``*.json`` name is an error of its own."""
    years: dict[int, YearSchedule] = {}
    errors: dict[str, str] = {}
    if not folder.is_dir():
        return FactorySchedules()
    for path in sorted(folder.glob("*.json")):
        year = _year_of(path)
        where = f"{folder.name}/{path.name}"
        try:
            if year is None:
                raise ScheduleError(where, "文件名须为 <年份>.json（如 2027.json）", "name it <year>.json")
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ScheduleError(where, f"不是有效的 JSON：{exc}", f"not valid JSON: {exc}") from None
            years[year] = parse_schedule(data, where=where, year=year)
        except ScheduleError as exc:
            errors[path.name] = str(exc)
    return FactorySchedules(years=years, errors=errors)


_cache: dict[Path, tuple[tuple[tuple[str, int, int], ...], FactorySchedules]] = {}


def load_folder(folder: Path) -> FactorySchedules:
    """``read_folder``, read again only when a file there changed: a schedule entered is used without a restart."""
    folder = folder.resolve()
    stamp = (
        tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.json")))
        if folder.is_dir()
        else ()
    )
    cached = _cache.get(folder)
    if cached is None or cached[0] != stamp:
        cached = (stamp, read_folder(folder))
        _cache[folder] = cached
    return cached[1]


# --- the calendar -------------------------------------------------------------------------------


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Working days from the factory's schedules, else the package, else Monday to Friday (with a warning)."""

    def __init__(self, factory: FactorySchedules | None = None) -> None:
        self.factory = factory or FactorySchedules()
        self._sources: dict[int, Source] = {}

    def source(self, year: int) -> Source:
        if year not in self._sources:
            if year in self.factory.years:
                self._sources[year] = Source.FACTORY
            elif package_knows(year):
                self._sources[year] = Source.PACKAGE
            else:
                self._sources[year] = Source.WEEKDAYS
        return self._sources[year]

    def is_working_day(self, day: date) -> bool:
        source = self.source(day.year)
        if source is Source.FACTORY:
            schedule = self.factory.years[day.year]
            if day in schedule.workday_dates:
                return True
            return day.weekday() < 5 and day not in schedule.holiday_dates
        if source is Source.PACKAGE:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day, left = start, days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def on_or_before(self, day: date) -> date:
        """The last working day not after ``day``."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def span_back(self, last: date, days: int) -> date:
        """The first day of a run of ``days`` working days that ends on the working day ``last``."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day, left = last, days - 1
        while left:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def missing_years(self, years: Iterable[int]) -> list[int]:
        return sorted({y for y in years if self.source(y) is Source.WEEKDAYS})

    def warning(self, first: date, last: date) -> str | None:
        """The staff-facing warning for dates computed between ``first`` and ``last``, or None if all is known."""
        missing = self.missing_years(range(min(first, last).year, max(first, last).year + 1))
        return missing_warning(missing, self.factory) if missing else None


def missing_warning(years: Iterable[int], factory: FactorySchedules) -> str:
    years = list(years)
    names = "、".join(f"{y} 年" for y in years)
    files = "、".join(f"config/workdays/{y}.json" for y in years)
    text = (
        f"工作日历缺少 {names}的法定节假日与调休安排（请按国务院办公厅通知录入 {files}），"
        "相关日期暂按周一至周五推算，可能落在节假日。"
    )
    errors = [e for e in (factory.error_of(y) for y in years) if e]
    return text + ("已有文件无效：" + "；".join(errors) if errors else "")


def report_warnings(cal: WorkCalendar, today: date) -> list[str]:
    """The calendar's warnings for a report made on ``today`` (the factory's date).

    This year's schedule missing is always a warning; from November on, next year's too: the State
    Council's notice usually comes out then, and dates next year are being computed already.
    """
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    missing = cal.missing_years(years)
    out = [missing_warning(missing, cal.factory)] if missing else []
    named = {f"{y}.json" for y in missing}
    out += [f"工作日历文件无效，未被采用：{e}" for n, e in sorted(cal.factory.errors.items()) if n not in named]
    return out


def for_folder(folder: Path) -> WorkCalendar:
    return WorkCalendar(load_folder(folder))


# --- what the API shows -------------------------------------------------------------------------


class DayOut(BaseModel):
    day: date
    name: str | None = Field(default=None, description="The holiday or adjustment as the notice names it.")


class CalendarYearOut(BaseModel):
    """One year of the working-day calendar as it is used now, and where it comes from."""

    year: int
    source: Source = Field(
        description="factory: config/workdays/<year>.json; package: chinese-calendar; weekdays: no schedule, "
        "Monday to Friday count (see warning)."
    )
    notice: str | None = Field(description="The State Council notice the factory's schedule was entered from.")
    holidays: list[DayOut] = Field(description="Days off that would otherwise be working days (Mon-Fri).")
    workdays: list[DayOut] = Field(description="Adjusted working days (调休上班) on a Saturday or Sunday.")
    warning: str | None


def describe_year(cal: WorkCalendar, year: int) -> CalendarYearOut:
    source = cal.source(year)
    notice: str | None = None
    holidays: list[DayOut] = []
    workdays: list[DayOut] = []
    if source is Source.FACTORY:
        schedule = cal.factory.years[year]
        notice = schedule.notice
        holidays = [DayOut(day=d, name=e.name) for e in schedule.holidays for d in e.days if d.weekday() < 5]
        workdays = [DayOut(day=d, name=e.name) for e in schedule.workdays for d in e.days]
    elif source is Source.PACKAGE:
        day = date(year, 1, 1)
        while day.year == year:
            if cal.is_working_day(day) != (day.weekday() < 5):
                _, english = chinese_calendar.get_holiday_detail(day)
                name = next((str(h.chinese) for h in chinese_calendar.Holiday if h.value == english), english)
                (holidays if day.weekday() < 5 else workdays).append(DayOut(day=day, name=name))
            day += timedelta(days=1)
    warning = missing_warning([year], cal.factory) if source is Source.WEEKDAYS else None
    return CalendarYearOut(
        year=year,
        source=source,
        notice=notice,
        holidays=sorted(holidays, key=lambda d: d.day),
        workdays=sorted(workdays, key=lambda d: d.day),
        warning=warning,
    )
