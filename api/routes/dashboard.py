"""经营看板: the managers' KPI dashboard page, its panels' data, drill-down lists and Excel exports.

Every panel and list is declared in ``api/dashboard/panels.py``; these routes serve any of them. The numbers
come from the report services (the same functions as ``/reports/...``), never computed here. A caller sees a
panel or list (its data, its page, its export) only if the role matrix lets them call the operation it
shows (``Panel.report``): others get 403 for it, and the page and ``/api/panels`` leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.access import Matrix
from api.auth import CallerDep
from api.dashboard import panels as declared
from api.dashboard.filters import FiltersDep
from api.dashboard.panels import Context, DrillList, Panel
from api.dashboard.xlsx import workbook
from api.deps import FactoryTodayDep, SessionDep, SettingsDep
from doorflow.settings import ROOT
from models.errors import NotFound
from models.reports import service as reports
from models.types import Line

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    403: {"description": "The role matrix does not let the caller call the report this panel or list shows."},
    404: {"description": "No such panel, list or file."},
}
Shown = TypeVar("Shown", Panel, DrillList)
router = APIRouter(prefix="/dashboard", tags=["dashboard"])

HERE = Path(__file__).resolve().parent.parent / "dashboard"
PAGES = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html", "j2"]))
# Static files of the page: our own, and ECharts from the npm package (package.json; `npm ci` installs it).
STATIC = {
    "dashboard.js": HERE / "static" / "dashboard.js",
    "dashboard.css": HERE / "static" / "dashboard.css",
    "echarts.min.js": ROOT / "node_modules" / "echarts" / "dist" / "echarts.min.js",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Viewer:
    """The caller's groups against the role matrix: which panels and lists they may see."""

    user_id: str
    groups: frozenset[str]
    matrix: Matrix

    def may(self, report: str) -> bool:
        return self.matrix.permits(self.groups, report)

    def panels(self) -> list[Panel]:
        return [p for p in declared.PANELS if self.may(p.report)]

    def panel(self, key: str) -> Panel:
        return self._allowed(declared.panel(key), "看板图表")

    def drill_list(self, key: str) -> DrillList:
        return self._allowed(declared.drill_list(key), "看板清单")

    def _allowed(self, item: Shown, kind: str) -> Shown:
        if not self.may(item.report):
            method, _, path = item.report.partition(" ")
            groups = "、".join(self.matrix.allowed(method, path) or ())
            detail = (
                f"{self.user_id} 无权查看{kind}「{item.title}」：它显示 {item.report} 的数据，"
                f"仅限以下组的成员：{groups}。"
            )
            raise HTTPException(status_code=403, detail=detail)
        return item


def _viewer(request: Request, caller: CallerDep) -> Viewer:
    return Viewer(caller.user_id, caller.groups, request.app.state.access)


ViewerDep = Annotated[Viewer, Depends(_viewer)]


def _context(session: SessionDep, settings: SettingsDep, filters: FiltersDep, today: FactoryTodayDep) -> Context:
    return Context(session, settings, filters, today)


def _panel_json(panel: Panel, ctx: Context) -> dict[str, Any]:
    data = panel.load(ctx)
    return {
        "key": panel.key,
        "section": panel.section,
        "title": panel.title,
        "subtitle": data.subtitle,
        "columns": [{"key": c.key, "title": c.title, "kind": c.kind} for c in panel.columns],
        "category": panel.category,
        "series": [{"column": s.column, "type": s.type, "axis": s.axis} for s in panel.series],
        "axis_names": list(panel.axis_names),
        "rows": jsonable_encoder(data.rows),
        "cards": jsonable_encoder(data.cards),
        "actions": data.actions,
        "export": ctx.filters.url(f"/dashboard/export/{panel.key}.xlsx"),
    }


def _list_params(drill: DrillList, request: Request) -> dict[str, str]:
    return {name: request.query_params[name] for name in drill.params if name in request.query_params}


@router.get("", response_class=HTMLResponse, summary="经营看板: the KPI dashboard page (charts, tables, exports)")
def page(session: SessionDep, settings: SettingsDep, filters: FiltersDep, viewer: ViewerDep) -> HTMLResponse:
    visible = viewer.panels()
    html = PAGES.get_template("dashboard.html.j2").render(
        sections=list(dict.fromkeys(p.section for p in visible)),
        panels=visible,
        filters=filters,
        salespeople=reports.salespeople(session),
        departments=list(settings.sales_departments),
    )
    return HTMLResponse(html)


@router.get(
    "/static/{name}",
    summary="The page's script, style and ECharts (served from the project, no CDN)",
    responses=NOT_FOUND,
)
def static(name: Line) -> FileResponse:
    path = STATIC.get(name)
    if path is None:
        raise NotFound("dashboard file", name)
    if not path.exists():
        detail = f"{path} is missing: run `npm ci` (./dev does) so that the npm package echarts is installed."
        return JSONResponse(status_code=503, content={"detail": detail})  # type: ignore[return-value]
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(path, media_type=f"{media}; charset=utf-8")


@router.get("/api/panels", summary="Every panel of the dashboard with its data, under the filters")
def all_panels(
    session: SessionDep, settings: SettingsDep, filters: FiltersDep, today: FactoryTodayDep, viewer: ViewerDep
) -> Any:
    ctx = _context(session, settings, filters, today)
    return [_panel_json(p, ctx) for p in viewer.panels()]


@router.get(
    "/api/panels/{key}", summary="One panel's data: columns, rows (with drill-down links), cards", responses=NOT_FOUND
)
def one_panel(
    key: Line,
    session: SessionDep,
    settings: SettingsDep,
    filters: FiltersDep,
    today: FactoryTodayDep,
    viewer: ViewerDep,
) -> Any:
    return _panel_json(viewer.panel(key), _context(session, settings, filters, today))


@router.get(
    "/api/lists/{key}",
    summary="A drill-down list: the orders, tickets or installments behind a figure",
    responses=NOT_FOUND,
)
def list_json(
    key: Line,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    filters: FiltersDep,
    today: FactoryTodayDep,
    viewer: ViewerDep,
) -> Any:
    drill = viewer.drill_list(key)
    params = _list_params(drill, request)
    rows = drill.load(_context(session, settings, filters, today), params)
    return {
        "key": drill.key,
        "title": drill.title,
        "columns": [{"key": c.key, "title": c.title, "kind": c.kind} for c in drill.columns],
        "rows": jsonable_encoder(rows),
        "export": filters.url(f"/dashboard/export/list/{drill.key}.xlsx", **params),
    }


@router.get(
    "/list/{key}",
    response_class=HTMLResponse,
    summary="A drill-down list as a page (with its export)",
    responses=NOT_FOUND,
)
def list_page(
    key: Line,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    filters: FiltersDep,
    today: FactoryTodayDep,
    viewer: ViewerDep,
) -> HTMLResponse:
    drill = viewer.drill_list(key)
    params = _list_params(drill, request)
    rows = drill.load(_context(session, settings, filters, today), params)
    html = PAGES.get_template("list.html.j2").render(
        drill=drill,
        rows=jsonable_encoder(rows),
        filters=filters,
        params=params,
        export=filters.url(f"/dashboard/export/list/{drill.key}.xlsx", **params),
        back=filters.url("/dashboard"),
    )
    return HTMLResponse(html)


def _xlsx(title: str, content: bytes, name: str) -> Response:
    disposition = f"attachment; filename={name}.xlsx; filename*=UTF-8''{quote(title)}.xlsx"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get(
    "/export/{key}.xlsx",
    summary="A panel's table as an Excel file (Chinese headers), under the filters",
    responses=NOT_FOUND,
)
def export_panel(
    key: Line,
    session: SessionDep,
    settings: SettingsDep,
    filters: FiltersDep,
    today: FactoryTodayDep,
    viewer: ViewerDep,
) -> Response:
    panel = viewer.panel(key)
    data = panel.load(_context(session, settings, filters, today))
    return _xlsx(panel.title, workbook(panel.title, panel.columns, data.rows, filters.query()), panel.key)


@router.get(
    "/export/list/{key}.xlsx", summary="A drill-down list as an Excel file, under the filters", responses=NOT_FOUND
)
def export_list(
    key: Line,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    filters: FiltersDep,
    today: FactoryTodayDep,
    viewer: ViewerDep,
) -> Response:
    drill = viewer.drill_list(key)
    rows = drill.load(_context(session, settings, filters, today), _list_params(drill, request))
    return _xlsx(drill.title, workbook(drill.title, drill.columns, rows, filters.query()), drill.key)
