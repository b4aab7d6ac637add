"""Every dashboard panel and drill-down list, declared once.

A panel is a chart, the table it is drawn from, and that table's Excel export. Its ``load`` calls the SAME
service as the JSON report (``/reports/...``) and turns the report into table rows (dicts keyed by the columns'
keys); a row's ``_link`` is the list of orders, tickets or installments behind it (a ``DrillList`` that selects
the same rows through the service function next to the KPI). The routes, the page's JavaScript and the export
know nothing of any single panel: adding one is adding a ``Panel(...)`` to ``PANELS``.

Who may see a panel or list is not declared here but in the role matrix (``config/access.toml``): each one
names the API operation whose data it shows (``report="GET /reports/costs"``), and answers to exactly the
groups the matrix gives that operation (on top of the dashboard's own routes, ``@dashboard``). So a group
refused ``/reports/costs`` is refused the cost panel, its drill-down list and their Excel exports alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.dashboard.filters import Filters, targets
from doorflow.settings import Settings
from models import calendar
from models.aftersales import service as aftersales
from models.aftersales.tables import PROBLEM_TYPE_NAMES, ServiceTicket
from models.collection import service as collection
from models.collection.service import KIND_NAMES
from models.costs import service as costs
from models.documents import access as document_access
from models.documents.tables import ReadOutcome
from models.errors import InvalidInput, NotFound
from models.orders.tables import OrderStatus
from models.production.service import supplier_policy
from models.reports import service as reports
from models.risks import service as risks
from models.risks.schemas import CATEGORY_LABELS, LEVEL_LABELS
from models.risks.tables import RiskCategory, RiskStatus
from models.suppliers import service as suppliers

Kind = Literal["text", "int", "number", "rate", "money", "date"]


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # Chinese: the table's and the Excel sheet's header
    kind: Kind = "text"


@dataclass(frozen=True)
class Series:
    """One chart series: the values of a column, on the left (0) or right (1) value axis."""

    column: str
    type: Literal["bar", "line", "pie"] = "bar"
    axis: Literal[0, 1] = 0


@dataclass(frozen=True)
class Context:
    session: Session
    settings: Settings
    filters: Filters
    today: date

    def link(self, drill: str, **params: object) -> str:
        """The drill-down list ``drill`` under the current filters (params override them)."""
        return self.filters.url(f"/dashboard/list/{drill}", **params)


@dataclass
class PanelData:
    rows: list[dict[str, Any]]
    cards: list[dict[str, Any]] = field(default_factory=list)  # {"label", "value", "kind", "link"?}
    subtitle: str = ""
    actions: list[dict[str, str]] = field(default_factory=list)  # {"label", "post"}: buttons that POST


@dataclass(frozen=True)
class Panel:
    key: str  # URL-safe, unique: /dashboard/api/panels/<key>, /dashboard/export/<key>.xlsx
    section: str  # the page groups panels by section, in declaration order
    title: str
    columns: tuple[Column, ...]
    category: str  # the column naming the x-axis categories (or the pie's slices)
    series: tuple[Series, ...]
    load: Callable[[Context], PanelData]
    report: str  # "METHOD /path" of the API operation it shows: who may call that one may see this panel
    axis_names: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class DrillList:
    key: str
    title: str
    columns: tuple[Column, ...]
    load: Callable[[Context, Mapping[str, str]], list[dict[str, Any]]]
    params: tuple[str, ...]  # the query parameters it takes besides the filters
    report: str  # "METHOD /path" of the API operation whose rows it lists (its access is that one's)


def _card(label: str, value: Any, kind: Kind = "int", link: str | None = None) -> dict[str, Any]:
    return {"label": label, "value": value, "kind": kind, "link": link}


def _rate(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


# --- orders -------------------------------------------------------------------------------------------------------


def _order_kpis(ctx: Context) -> Any:
    f = ctx.filters
    return reports.order_kpis(
        ctx.session,
        start=f.start,
        end=f.end,
        salesperson=f.salesperson,
        salespeople=f.salespeople,
        cal=calendar.for_folder(ctx.settings.workdays_dir),
        today=ctx.today,
    )


def order_rates(ctx: Context) -> PanelData:
    k = _order_kpis(ctx)
    rows = [
        ("完成率", k.completion_rate, k.completed, "completed", k.orders, "orders"),
        ("按期交付率", k.on_time_delivery_rate, k.on_time_count, "on_time", k.delivered, "delivered"),
        ("成品检验一次合格率", k.first_pass_inspection_rate, k.inspection_first_pass_count, "inspection_first_pass",
         k.inspected_count, "inspected"),
        ("安装一次验收合格率", k.installation_first_pass_acceptance_rate, k.acceptance_first_pass_count,
         "acceptance_first_pass", k.acceptance_checked_count, "acceptance_checked"),
    ]  # fmt: skip
    return PanelData(
        rows=[
            {"metric": name, "rate": _rate(rate), "part": part, "whole": whole, "_link": ctx.link("orders", measure=m)}
            | {"_whole_link": ctx.link("orders", measure=wm)}
            for name, rate, part, m, whole, wm in rows
        ],
        cards=[
            _card("收到订单", k.orders, link=ctx.link("orders", measure="orders")),
            _card("已完成", k.completed, link=ctx.link("orders", measure="completed")),
            _card("生产延期（次）", k.delays, link=ctx.link("delays")),
            _card("延期总天数", k.total_delay_days, link=ctx.link("delays")),
        ],
        subtitle="；".join(k.calendar_warnings),
    )


def order_months(ctx: Context) -> PanelData:
    k = _order_kpis(ctx)
    return PanelData(
        rows=[
            {
                "month": m.month,
                "orders": m.orders,
                "completed": m.completed,
                "delays": m.delays,
                "delay_days": m.delay_days,
                "_link": ctx.link("orders", measure="orders", month=m.month),
            }
            for m in k.by_month
        ]
    )


def order_people(ctx: Context) -> PanelData:
    k = _order_kpis(ctx)
    return PanelData(
        rows=[
            {
                "salesperson": p.salesperson,
                "orders": p.orders,
                "completed": p.completed,
                "on_time_rate": _rate(p.on_time_delivery_rate),
                "_link": ctx.link("orders", measure="orders", salesperson=p.salesperson),
            }
            for p in k.by_salesperson
            if p.salesperson != "（未填写）"
        ]
    )


# --- after-sales ----------------------------------------------------------------------------------------------------


def _aftersales(ctx: Context) -> Any:
    return aftersales.report(
        ctx.session,
        calendar.for_folder(ctx.settings.workdays_dir),
        ctx.today,
        ctx.filters.tickets(),
        targets(ctx.settings),
    )


def aftersales_rates(ctx: Context) -> PanelData:
    r = _aftersales(ctx)
    hours = r.resolution_target_hours
    rows = [
        ("客户投诉率", r.complaint_rate, r.ticket_count, "tickets", r.delivered_orders, None),
        ("首次联系及时率", r.first_contact_within_deadline_rate, r.in_time_contact_count, "contact_in_time",
         r.contacted_count, "contacted"),
        (f"问题解决及时率（{hours:g} 小时内）", r.timely_resolution_rate, r.resolved_in_time_count,
         "resolved_in_time", r.resolved_count, "resolved"),
        (f"回访好评率（{r.positive_score} 分及以上）", r.revisit_positive_rate, r.revisit_positive_count,
         "revisit_positive", r.revisited_count, "revisited"),
    ]  # fmt: skip
    return PanelData(
        rows=[
            {"metric": name, "rate": _rate(rate), "part": part, "whole": whole, "_link": ctx.link("tickets", measure=m)}
            | (
                {"_whole_link": ctx.link("tickets", measure=wm)}
                if wm
                else {"_whole_link": ctx.link("orders", measure="delivered", start=None)}
            )
            for name, rate, part, m, whole, wm in rows
        ],
        cards=[
            _card("售后工单", r.ticket_count, link=ctx.link("tickets", measure="tickets")),
            _card("平均处理时长（小时）", r.mean_resolution_hours, "number", ctx.link("tickets", measure="resolved")),
            _card("平均满意度（分）", r.mean_satisfaction, "number", ctx.link("tickets", measure="revisited")),
            _card("已督办", r.escalated_count, link=ctx.link("tickets", measure="escalated")),
        ],
        subtitle="；".join(r.calendar_warnings),
    )


def aftersales_types(ctx: Context) -> PanelData:
    r = _aftersales(ctx)
    return PanelData(
        rows=[
            {
                "problem_type": PROBLEM_TYPE_NAMES.get(t, t),
                "tickets": n,
                "_link": ctx.link("tickets", measure="tickets", problem_type=t),
            }
            for t, n in sorted(r.by_problem_type.items(), key=lambda kv: -kv[1])
        ]
    )


def _quarter(ctx: Context) -> tuple[int, int]:
    day = ctx.filters.end or ctx.today
    return day.year, (day.month - 1) // 3 + 1


def _quarterly(dimension: str, param: str) -> Callable[[Context], PanelData]:
    def load(ctx: Context) -> PanelData:
        year, quarter = _quarter(ctx)
        f = ctx.filters
        q = aftersales.quarterly_report(
            ctx.session, year, quarter, targets(ctx.settings), salesperson=f.salesperson, salespeople=f.salespeople
        )
        groups = {"problem_type": q.by_problem_type, "product_model": q.by_product_model, "cause": q.by_cause}
        return PanelData(
            rows=[
                {
                    "label": g.label,
                    "tickets": g.tickets,
                    "resolved": g.resolved,
                    "hours": g.mean_handling_hours,
                    "satisfaction": g.mean_satisfaction,
                    "positive": g.positive,
                    "_link": ctx.link("tickets", measure="tickets", start=q.start, end=q.end, **{param: g.key}),
                }
                for g in groups[dimension]
            ],
            subtitle=f"{year}年第{quarter}季度（{q.start}至{q.end}），工单 {q.ticket_count} 张",
            actions=[
                {
                    "label": "生成季度统计报告文档",
                    "post": f"/reports/after-sales/quarterly/document?year={year}&quarter={quarter}",
                }
            ],
        )

    return load


QUARTERLY_COLUMNS = (
    Column("tickets", "工单数", "int"),
    Column("resolved", "已解决", "int"),
    Column("hours", "平均处理时长（小时）", "number"),
    Column("satisfaction", "平均满意度", "number"),
    Column("positive", "好评数", "int"),
)

# --- collection -----------------------------------------------------------------------------------------------------


def _collection(ctx: Context) -> Any:
    return collection.collection_report(
        ctx.session,
        ctx.filters.as_of(ctx.today),
        ctx.settings.collection_ageing_bucket_days,
        ctx.filters.collection(),
    )


def collection_overview(ctx: Context) -> PanelData:
    r = _collection(ctx)
    return PanelData(
        rows=[
            {"part": "已回款", "amount": r.collected_amount, "_link": ctx.link("installments", measure="due")},
            {
                "part": "到期未回款",
                "amount": r.due_amount - r.collected_amount,
                "_link": ctx.link("installments", measure="overdue"),
            },
        ],
        cards=[
            _card("回款率", _rate(r.collection_rate), "rate", ctx.link("installments", measure="due")),
            _card("到期应收", r.due_amount, "money", ctx.link("installments", measure="due")),
            _card("逾期金额", r.overdue_amount, "money", ctx.link("installments", measure="overdue")),
            _card("逾期笔数", r.overdue_count, "int", ctx.link("installments", measure="overdue")),
        ],
        subtitle=f"截至 {r.as_of}",
    )


def collection_ageing(ctx: Context) -> PanelData:
    r = _collection(ctx)
    return PanelData(
        rows=[
            {
                "bucket": b.label,
                "amount": b.amount,
                "count": b.count,
                "_link": ctx.link("installments", measure="overdue", bucket=i),
            }
            for i, b in enumerate(r.ageing)
        ],
        subtitle=f"截至 {r.as_of}",
    )


def risk_customers(ctx: Context) -> PanelData:
    r = _collection(ctx)
    as_of = ctx.filters.as_of(ctx.today)
    rows = []
    for name in r.risk_customers:
        c = collection.customer_collection(ctx.session, name, as_of)
        rows.append(
            {"customer": name, "open_balance": c.open_balance, "overdue_balance": c.overdue_balance,
             "flags": len(c.risk_flags), "_link": ctx.link("installments", measure="due", customer=name)}
        )  # fmt: skip
    return PanelData(rows=rows, cards=[_card("风险客户", len(rows))])


# --- suppliers, cost, risk, document reads -------------------------------------------------------------------------


def supplier_scores(ctx: Context) -> PanelData:
    """The scorecards GET /suppliers/scorecards returns (the purchase step picks by class, then by score)."""
    cards = suppliers.scorecards(ctx.session, supplier_policy(ctx.settings))
    rows = [
        {"supplier": c["name"], "klass": c["class_label"], "score": Decimal(str(c["score"])),
         "quality": Decimal(str(c["quality_score"])), "on_time": Decimal(str(c["lead_time_score"])),
         "price": Decimal(str(c["price_score"])), "service": Decimal(str(c["service_score"])),
         "may_order": "是" if c["may_receive_orders"] else "否",
         "_link": ctx.link("supplier-orders", supplier=c["supplier_id"])}
        for c in cards
    ]  # fmt: skip
    barred = sum(1 for c in cards if not c["may_receive_orders"])
    return PanelData(rows=rows, cards=[_card("供应商", len(rows)), _card("不可下单", barred)])


def order_costs(ctx: Context) -> PanelData:
    """GET /reports/costs: budget against actual cost per order, flagged beyond the configured overrun share."""
    f = ctx.filters
    r = costs.report(ctx.session, start=f.start, end=f.end, salesperson=f.salesperson)
    rows = [
        {"order_number": o.order_number, "customer": o.customer_name, "budget": o.budget_total,
         "actual": o.actual_total, "variance": o.variance, "over_budget": "超支" if o.over_budget else "未超支",
         "_link": ctx.link("cost-accruals", order=o.order_id)}
        for o in r.rows
        if f.salespeople is None or o.salesperson in f.salespeople
    ]  # fmt: skip
    return PanelData(
        rows=rows,
        cards=[
            _card("有预算订单", r.orders),
            _card("超支订单", r.over_budget),
            _card("预算合计", r.budget_total, "money"),
            _card("实际合计", r.actual_total, "money"),
        ],
    )


def risk_categories(ctx: Context) -> PanelData:
    """GET /reports/risks: open risks per category; each bar opens the list of those risks."""
    f = ctx.filters
    r = risks.report(ctx.session, start=f.start, end=f.end, salesperson=f.salesperson)
    rows = [{"category": c.label, "open": c.count, "_link": ctx.link("risks", category=c.key)} for c in r.by_category]
    return PanelData(
        rows=rows,
        cards=[_card("登记风险", r.risks), _card("未关闭", r.open_risks), _card("未关闭高风险", len(r.open_high))],
    )


def _read_log(ctx: Context) -> document_access.ReadLog:
    """The read log over the filters' factory days (both the panel and its list read it so)."""
    f = ctx.filters
    zone = ZoneInfo(ctx.settings.factory_timezone)
    return document_access.read_log(
        ctx.session,
        start=datetime.combine(f.start, time(), zone) if f.start else None,
        end=datetime.combine(f.end + timedelta(days=1), time(), zone) if f.end else None,
        document_id=None, reader=None, outcome=None, confidential_only=False,
        limit=ctx.settings.dashboard_read_log_rows,
    )  # fmt: skip


def document_reads(ctx: Context) -> PanelData:
    """GET /reports/document-reads: every read and every refusal of a document, newest first."""
    zone = ZoneInfo(ctx.settings.factory_timezone)
    log = _read_log(ctx)
    by_day: dict[date, dict[str, int]] = {}
    for read, _doc in log.entries:
        day = read.read_at.astimezone(zone).date()
        counts = by_day.setdefault(day, {"reads": 0, "refusals": 0})
        counts["reads" if read.outcome == ReadOutcome.READ else "refusals"] += 1
    rows = [
        {"day": day, **counts, "_link": ctx.link("document-reads", start=day, end=day)}
        for day, counts in sorted(by_day.items())
    ]
    return PanelData(
        rows=rows,
        cards=[_card("查阅", log.reads), _card("拒绝", log.refusals)],
        subtitle=f"最近 {len(log.entries)} 条记录",
    )


# --- the panels, in page order -------------------------------------------------------------------------------------

RATE_COLUMNS = (
    Column("metric", "指标"),
    Column("rate", "比率", "rate"),
    Column("part", "达标数", "int"),
    Column("whole", "基数", "int"),
)

# The operations whose access the panels and lists share (config/access.toml).
QUARTERLY = "GET /reports/after-sales/quarterly"
COLLECTION = "GET /reports/collection"
SUPPLIERS = "GET /suppliers/scorecards"
RISKS = "GET /reports/risks"
READS = "GET /reports/document-reads"

PANELS: tuple[Panel, ...] = (
    Panel("order-rates", "订单", "订单关键指标", RATE_COLUMNS, "metric", (Series("rate"),), order_rates,
          report="GET /reports/orders", axis_names=("比率", "")),
    Panel("order-months", "订单", "月度订单与延期",
          (Column("month", "月份"), Column("orders", "订单数", "int"), Column("completed", "已完成", "int"),
           Column("delays", "延期次数", "int"), Column("delay_days", "延期天数", "int")),
          "month", (Series("orders"), Series("completed"), Series("delays"), Series("delay_days", "line", 1)),
          order_months, report="GET /reports/orders", axis_names=("订单/次", "天")),
    Panel("order-salespeople", "订单", "业务员订单与按期交付",
          (Column("salesperson", "业务员"), Column("orders", "订单数", "int"), Column("completed", "已完成", "int"),
           Column("on_time_rate", "按期交付率", "rate")),
          "salesperson", (Series("orders"), Series("completed"), Series("on_time_rate", "line", 1)), order_people,
          report="GET /reports/orders", axis_names=("订单", "比率")),
    Panel("aftersales-rates", "售后", "售后关键指标", RATE_COLUMNS, "metric", (Series("rate"),), aftersales_rates,
          report="GET /reports/after-sales", axis_names=("比率", "")),
    Panel("aftersales-types", "售后", "问题类型分布",
          (Column("problem_type", "问题类型"), Column("tickets", "工单数", "int")),
          "problem_type", (Series("tickets", "pie"),), aftersales_types,
          report="GET /reports/after-sales"),
    Panel("quarterly-problem-types", "季度售后统计（技术部）", "按问题类型",
          (Column("label", "问题类型"), *QUARTERLY_COLUMNS), "label",
          (Series("tickets"), Series("hours", "line", 1)), _quarterly("problem_type", "problem_type"),
          report=QUARTERLY, axis_names=("工单", "小时")),
    Panel("quarterly-models", "季度售后统计（技术部）", "按产品型号",
          (Column("label", "产品型号"), *QUARTERLY_COLUMNS), "label",
          (Series("tickets"), Series("hours", "line", 1)), _quarterly("product_model", "product_model"),
          report=QUARTERLY, axis_names=("工单", "小时")),
    Panel("quarterly-causes", "季度售后统计（技术部）", "按原因",
          (Column("label", "原因"), *QUARTERLY_COLUMNS), "label",
          (Series("tickets"), Series("hours", "line", 1)), _quarterly("cause", "cause"),
          report=QUARTERLY, axis_names=("工单", "小时")),
    Panel("collection-overview", "回款", "回款概况", (Column("part", "项目"), Column("amount", "金额（元）", "money")),
          "part", (Series("amount", "pie"),), collection_overview, report=COLLECTION),
    Panel("collection-ageing", "回款", "逾期账龄",
          (Column("bucket", "账龄"), Column("amount", "逾期金额（元）", "money"), Column("count", "笔数", "int")),
          "bucket", (Series("amount"), Series("count", "line", 1)), collection_ageing, report=COLLECTION,
          axis_names=("元", "笔")),
    Panel("risk-customers", "回款", "风险客户",
          (Column("customer", "客户"), Column("open_balance", "未收余额（元）", "money"),
           Column("overdue_balance", "逾期余额（元）", "money"), Column("flags", "风险标记次数", "int")),
          "customer", (Series("open_balance"), Series("overdue_balance")), risk_customers, report=COLLECTION,
          axis_names=("元", "")),
    Panel("supplier-scores", "供应商", "供应商评分与等级",
          (Column("supplier", "供应商"), Column("klass", "等级"), Column("score", "综合得分", "number"),
           Column("quality", "质量得分", "number"), Column("on_time", "交期得分", "number"),
           Column("price", "价格得分", "number"), Column("service", "服务得分", "number"),
           Column("may_order", "可下单")),
          "supplier", (Series("score"), Series("quality", "line")), supplier_scores,
          report=SUPPLIERS, axis_names=("分", "")),
    Panel("order-costs", "成本与风险", "订单成本：预算与实际",
          (Column("order_number", "订单号"), Column("customer", "客户"), Column("budget", "预算（元）", "money"),
           Column("actual", "实际（元）", "money"), Column("variance", "差异（元）", "money"),
           Column("over_budget", "超支")),
          "order_number", (Series("budget"), Series("actual")), order_costs, report="GET /reports/costs",
          axis_names=("元", "")),
    Panel("risk-categories", "成本与风险", "未关闭风险（按类别）",
          (Column("category", "类别"), Column("open", "未关闭", "int")),
          "category", (Series("open"),), risk_categories, report=RISKS),
    Panel("document-reads", "文档", "文档查阅记录",
          (Column("day", "日期", "date"), Column("reads", "查阅", "int"), Column("refusals", "拒绝", "int")),
          "day", (Series("reads"), Series("refusals")), document_reads, report=READS, axis_names=("次", "")),
)  # fmt: skip


def panel(key: str) -> Panel:
    for p in PANELS:
        if p.key == key:
            return p
    raise NotFound("dashboard panel", key)


# --- drill-down lists ---------------------------------------------------------------------------------------------

STATUS_NAMES = {
    OrderStatus.RECEIVED: "已接收", OrderStatus.REGISTERED: "已登记", OrderStatus.UNDER_REVIEW: "评审中",
    OrderStatus.NEGOTIATING: "协商中", OrderStatus.REJECTED: "已拒绝", OrderStatus.PRICING: "核价中",
    OrderStatus.CONTRACTING: "合同中", OrderStatus.SIGNED: "已签约", OrderStatus.HANDED_OVER: "已交接",
    OrderStatus.IN_PRODUCTION: "生产中", OrderStatus.SHIPPED: "已发货", OrderStatus.INSTALLING: "安装中",
    OrderStatus.ACCEPTED: "已验收", OrderStatus.COMPLETED: "已完成", OrderStatus.ON_HOLD: "已暂停",
    OrderStatus.CANCELLED: "已取消",
}  # fmt: skip


def _day(ctx: Context, moment: datetime) -> date:
    """The factory's day of a stored instant (a date a person reads is never the UTC date)."""
    return moment.astimezone(ZoneInfo(ctx.settings.factory_timezone)).date()


def _param(params: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = params.get(name)
    return value if value not in (None, "") else default


def order_list(ctx: Context, params: Mapping[str, str]) -> list[dict[str, Any]]:
    f = ctx.filters
    rows = reports.order_rows(
        ctx.session, _param(params, "measure", "orders") or "orders", start=f.start, end=f.end,
        salesperson=f.salesperson, salespeople=f.salespeople, month=_param(params, "month"),
    )  # fmt: skip
    return [
        {"order_number": o.order_number, "customer": o.customer_name, "salesperson": o.salesperson,
         "status": STATUS_NAMES.get(o.status, str(o.status)), "received": _day(ctx, o.created_at),
         "delivery_date": o.delivery_date}
        for o in rows
    ]  # fmt: skip


def delay_list(ctx: Context, params: Mapping[str, str]) -> list[dict[str, Any]]:
    f = ctx.filters
    rows = reports.delay_rows(
        ctx.session, start=f.start, end=f.end, salesperson=f.salesperson, salespeople=f.salespeople,
        month=_param(params, "month"),
    )  # fmt: skip
    return [
        {"order_number": o.order_number, "customer": o.customer_name,
         "cause": "不可抗力" if d.cause == "force_majeure" else "内部原因", "detail": d.cause_detail,
         "old_due": d.old_due_date, "new_due": d.new_due_date, "days": (d.new_due_date - d.old_due_date).days,
         "responsibility": d.responsibility}
        for d, o in rows
    ]  # fmt: skip


def _hours(t: ServiceTicket) -> float | None:
    return round((t.resolved_at - t.opened_at).total_seconds() / 3600, 2) if t.resolved_at else None


def ticket_list(ctx: Context, params: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = aftersales.report_tickets(
        ctx.session, _param(params, "measure", "tickets") or "tickets", ctx.filters.tickets(), targets(ctx.settings),
        problem_type=_param(params, "problem_type"), product_model=_param(params, "product_model"),
        cause=_param(params, "cause"),
    )  # fmt: skip
    return [
        {"ticket_number": t.ticket_number, "customer": t.customer_name, "problem_type":
         PROBLEM_TYPE_NAMES.get(t.problem_type, str(t.problem_type)), "product_model": t.product_model,
         "priority": t.priority, "status": str(t.status), "opened_at": _day(ctx, t.opened_at),
         "hours": _hours(t), "satisfaction": t.satisfaction_score}
        for t in rows
    ]  # fmt: skip


def installment_list(ctx: Context, params: Mapping[str, str]) -> list[dict[str, Any]]:
    as_of = ctx.filters.as_of(ctx.today)
    bucket = _param(params, "bucket")
    if bucket is not None and not bucket.isdigit():
        raise InvalidInput(("query", "bucket"), "must be a whole number")
    rows = collection.report_installments(
        ctx.session, as_of, ctx.settings.collection_ageing_bucket_days, _param(params, "measure", "due") or "due",
        ctx.filters.collection(), bucket=int(bucket) if bucket is not None else None,
        customer_name=_param(params, "customer"),
    )  # fmt: skip
    return [
        {"contract_number": i.contract_number, "order_number": i.order_number, "customer": i.customer_name,
         "kind": KIND_NAMES.get(i.kind, str(i.kind)), "due_date": i.due_date, "amount": i.amount,
         "paid": i.paid_amount, "balance": i.balance, "days_overdue": collection.days_overdue(i, as_of),
         "status": str(i.status)}
        for i in rows
    ]  # fmt: skip


def risk_list(ctx: Context, params: Mapping[str, str]) -> list[dict[str, Any]]:
    f = ctx.filters
    raw = _param(params, "category")
    try:
        category = RiskCategory(raw) if raw is not None else None
    except ValueError as exc:
        raise InvalidInput(
            ("query", "category"), f"unknown category; known: {[c.value for c in RiskCategory]}"
        ) from exc
    rows = risks.report_rows(
        ctx.session, start=f.start, end=f.end, salesperson=f.salesperson, status=RiskStatus.OPEN, category=category
    )
    return [
        {"id": r.id, "order_id": r.order_id, "category": CATEGORY_LABELS[r.category],
         "level": LEVEL_LABELS[r.level], "title": r.title, "owner": r.owner_user or r.owner_group,
         "raised_at": _day(ctx, r.raised_at), "measures": r.measures}
        for r in rows
    ]  # fmt: skip


def _id_param(params: Mapping[str, str], name: str) -> int:
    value = _param(params, name)
    if value is None or not value.isdigit() or len(value) > 18:
        raise InvalidInput(("query", name), "must be the id (a whole number)")
    return int(value)


def supplier_order_list(ctx: Context, params: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"number": po.number, "order_id": po.order_id, "material": po.material.name, "quantity": po.quantity,
         "unit_price": po.unit_price, "due_date": po.due_date, "status": str(po.status)}
        for po in suppliers.purchase_orders(ctx.session, _id_param(params, "supplier"))
    ]  # fmt: skip


def cost_accrual_list(ctx: Context, params: Mapping[str, str]) -> list[dict[str, Any]]:
    cost = costs.order_cost(ctx.session, _id_param(params, "order"))
    return [
        {
            "kind": a.kind_label,
            "description": a.description,
            "amount": a.amount,
            "recorded_at": _day(ctx, a.recorded_at),
        }
        for a in cost.accruals
    ]


def document_read_list(ctx: Context, params: Mapping[str, str]) -> list[dict[str, Any]]:
    zone = ZoneInfo(ctx.settings.factory_timezone)
    log = _read_log(ctx)
    return [
        {"read_at": r.read_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), "document": d.title, "reader": r.reader,
         "outcome": "查阅" if r.outcome == ReadOutcome.READ else "拒绝", "reason": r.refusal_reason}
        for r, d in log.entries
    ]  # fmt: skip


LISTS: tuple[DrillList, ...] = (
    DrillList("orders", "订单清单",
              (Column("order_number", "订单号"), Column("customer", "客户"), Column("salesperson", "业务员"),
               Column("status", "状态"), Column("received", "收单日期", "date"),
               Column("delivery_date", "交货日期", "date")),
              order_list, ("measure", "month"), "GET /reports/orders"),
    DrillList("delays", "生产延期清单",
              (Column("order_number", "订单号"), Column("customer", "客户"), Column("cause", "原因类别"),
               Column("detail", "原因说明"), Column("old_due", "原定完成日", "date"),
               Column("new_due", "新完成日", "date"), Column("days", "延期天数", "int"),
               Column("responsibility", "责任方")),
              delay_list, ("month",), "GET /reports/orders"),
    DrillList("tickets", "售后工单清单",
              (Column("ticket_number", "工单号"), Column("customer", "客户"), Column("problem_type", "问题类型"),
               Column("product_model", "产品型号"), Column("priority", "优先级"), Column("status", "状态"),
               Column("opened_at", "受理日期", "date"), Column("hours", "处理时长（小时）", "number"),
               Column("satisfaction", "满意度", "int")),
              ticket_list, ("measure", "problem_type", "product_model", "cause"), "GET /tickets"),
    DrillList("installments", "回款分期清单",
              (Column("contract_number", "合同号"), Column("order_number", "订单号"), Column("customer", "客户"),
               Column("kind", "类型"), Column("due_date", "到期日", "date"), Column("amount", "金额（元）", "money"),
               Column("paid", "已付（元）", "money"), Column("balance", "余额（元）", "money"),
               Column("days_overdue", "逾期天数", "int"), Column("status", "状态")),
              installment_list, ("measure", "bucket", "customer"), COLLECTION),
    DrillList("risks", "未关闭风险清单",
              (Column("id", "编号", "int"), Column("order_id", "订单", "int"), Column("category", "类别"),
               Column("level", "等级"), Column("title", "风险"), Column("owner", "负责"),
               Column("raised_at", "登记日期", "date"), Column("measures", "措施")),
              risk_list, ("category",), RISKS),
    DrillList("supplier-orders", "供应商采购单",
              (Column("number", "采购单号"), Column("order_id", "订单", "int"), Column("material", "物料"),
               Column("quantity", "数量", "number"), Column("unit_price", "单价（元）", "money"),
               Column("due_date", "约定到货", "date"), Column("status", "状态")),
              supplier_order_list, ("supplier",), SUPPLIERS),
    DrillList("cost-accruals", "订单实际成本明细",
              (Column("kind", "类别"), Column("description", "说明"), Column("amount", "金额（元）", "money"),
               Column("recorded_at", "记账日期", "date")),
              cost_accrual_list, ("order",), "GET /reports/costs"),
    DrillList("document-reads", "文档查阅记录",
              (Column("read_at", "时间"), Column("document", "文档"), Column("reader", "查阅人"),
               Column("outcome", "结果"), Column("reason", "拒绝原因")),
              document_read_list, (), READS),
)  # fmt: skip


def drill_list(key: str) -> DrillList:
    for d in LISTS:
        if d.key == key:
            return d
    raise NotFound("dashboard list", key)
