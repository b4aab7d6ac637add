// 经营看板: renders every panel the API declares (api/dashboard/panels.py) with ECharts, a table and an export link.
// Nothing here knows a single panel: a panel is data (columns, rows, series), so a new one needs no script change.
"use strict";

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

function pad(n) { return String(n).padStart(2, "0"); }
function iso(d) { return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`; }

// The period as start/end dates, from the form's mode (month, quarter, custom, all).
function period() {
  const mode = $("period").value;
  if (mode === "month" && $("month").value) {
    const [y, m] = $("month").value.split("-").map(Number);
    return { start: iso(new Date(y, m - 1, 1)), end: iso(new Date(y, m, 0)) };
  }
  if (mode === "quarter" && $("year").value) {
    const y = Number($("year").value), q = Number($("quarter").value);
    return { start: iso(new Date(y, 3 * q - 3, 1)), end: iso(new Date(y, 3 * q, 0)) };
  }
  if (mode === "custom") return { start: $("start").value, end: $("end").value };
  return { start: "", end: "" };
}

function showMode() {
  const mode = $("period").value;
  for (const el of document.querySelectorAll(".for-month, .for-quarter, .for-custom")) {
    el.style.display = el.classList.contains(`for-${mode}`) ? "" : "none";
  }
}

function initForm() {
  const today = new Date();
  $("period").value = params.get("period") || (params.get("start") ? "custom" : "quarter");
  $("month").value = params.get("month") || `${today.getFullYear()}-${pad(today.getMonth() + 1)}`;
  $("year").value = params.get("year") || today.getFullYear();
  $("quarter").value = params.get("quarter") || String(Math.floor(today.getMonth() / 3) + 1);
  $("period").addEventListener("change", showMode);
  showMode();
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const name of ["period", "month", "year", "quarter", "salesperson", "department"]) {
      if ($(name).value) q.set(name, $(name).value);
    }
    const p = period();
    if ($("period").value === "custom") { if (p.start) q.set("start", p.start); if (p.end) q.set("end", p.end); }
    location.search = q.toString();
  });
}

function filterQuery() {
  const q = new URLSearchParams();
  const p = period();
  if (p.start) q.set("start", p.start);
  if (p.end) q.set("end", p.end);
  for (const name of ["salesperson", "department"]) if ($(name).value) q.set(name, $(name).value);
  return q;
}

function num(value) { return value === null || value === undefined || value === "" ? null : Number(value); }

function show(value, kind) {
  if (value === null || value === undefined || value === "") return "—";
  if (kind === "rate") return `${(Number(value) * 100).toFixed(1)}%`;
  if (kind === "money") return `¥${Number(value).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (kind === "number") return Number(value).toFixed(2);
  return String(value);
}

function link(text, href) {
  const a = document.createElement("a");
  a.textContent = text;
  if (href) a.href = href;
  return a;
}

function renderTable(el, panel) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const c of panel.columns) head.appendChild(Object.assign(document.createElement("th"), { textContent: c.title }));
  const body = table.createTBody();
  for (const row of panel.rows) {
    const tr = body.insertRow();
    for (const c of panel.columns) {
      const td = tr.insertCell();
      td.className = c.kind;
      if (c.key === panel.category && row._link) td.appendChild(link(show(row[c.key], c.kind), row._link));
      else if (c.key === "whole" && row._whole_link) td.appendChild(link(show(row[c.key], c.kind), row._whole_link));
      else td.textContent = show(row[c.key], c.kind);
    }
  }
  if (!panel.rows.length) body.insertRow().insertCell().textContent = "暂无数据";
  el.replaceChildren(table);
}

function renderCards(el, panel) {
  el.replaceChildren(...panel.cards.map((card) => {
    const a = link("", card.link);
    a.className = "card";
    a.append(Object.assign(document.createElement("div"), { className: "v", textContent: show(card.value, card.kind) }),
             Object.assign(document.createElement("div"), { className: "l", textContent: card.label }));
    return a;
  }));
}

function chartOption(panel) {
  const title = (key) => panel.columns.find((c) => c.key === key).title;
  const kind = (key) => panel.columns.find((c) => c.key === key).kind;
  const names = panel.rows.map((r) => String(r[panel.category]));
  const value = (r, s) => { const v = num(r[s.column]); return v !== null && kind(s.column) === "rate" ? +(v * 100).toFixed(2) : v; };
  if (panel.series.length && panel.series[0].type === "pie") {
    const s = panel.series[0];
    return {
      tooltip: { trigger: "item" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ name: title(s.column), type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
                 data: panel.rows.map((r, i) => ({ name: names[i], value: value(r, s) })) }],
    };
  }
  const axisLabel = (i) => ({ formatter: panel.series.some((s) => s.axis === i && kind(s.column) === "rate") ? "{value}%" : "{value}" });
  const yAxis = [{ type: "value", name: panel.axis_names[0], axisLabel: axisLabel(0) }];
  if (panel.series.some((s) => s.axis === 1)) yAxis.push({ type: "value", name: panel.axis_names[1], axisLabel: axisLabel(1), splitLine: { show: false } });
  return {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 50, right: 50, top: 34, bottom: 40 },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0, overflow: "truncate", width: 90 } },
    yAxis,
    series: panel.series.map((s) => ({ name: title(s.column), type: s.type, yAxisIndex: s.axis, data: panel.rows.map((r) => value(r, s)),
                                       label: { show: s.type === "bar" && panel.rows.length <= 6, position: "top" } })),
  };
}

function renderPanel(panel) {
  const el = document.querySelector(`[data-panel="${panel.key}"]`);
  if (!el) return;
  el.querySelector(".subtitle").textContent = panel.subtitle || "";
  el.querySelector(".export").href = panel.export;
  renderCards(el.querySelector(".cards"), panel);
  renderTable(el.querySelector(".table-body"), panel);
  const chartEl = el.querySelector(".chart");
  const chart = echarts.getInstanceByDom(chartEl) || echarts.init(chartEl, null, { renderer: "canvas" });
  chart.setOption(chartOption(panel), true);
  chart.off("click");
  chart.on("click", (event) => { const row = panel.rows[event.dataIndex]; if (row && row._link) location.href = row._link; });
  chartEl.dataset.rendered = String(panel.rows.length);
  el.querySelector(".actions").replaceChildren(...panel.actions.map((action) => {
    const button = Object.assign(document.createElement("button"), { type: "button", textContent: action.label });
    button.addEventListener("click", async () => {
      const answer = await fetch(action.post, { method: "POST" });
      if (!answer.ok) { $("status").textContent = `生成失败（${answer.status}）`; return; }
      const doc = await answer.json();
      window.open(`/documents/${doc.id}/content`, "_blank");
    });
    return button;
  }));
}

async function load() {
  $("status").textContent = "加载中…";
  const answer = await fetch(`/dashboard/api/panels?${filterQuery()}`);
  if (!answer.ok) { $("status").textContent = `加载失败（${answer.status}）：${await answer.text()}`; return; }
  const panels = await answer.json();
  panels.forEach(renderPanel);
  $("status").textContent = `已更新 ${new Date().toLocaleTimeString("zh-CN")}`;
  document.body.dataset.ready = "true";
}

window.addEventListener("resize", () => {
  for (const el of document.querySelectorAll(".chart")) echarts.getInstanceByDom(el)?.resize();
});
document.addEventListener("DOMContentLoaded", () => { initForm(); load(); });
