"""Pure helpers of the benchmark: percentiles, the targets and the printed table (no I/O here)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0 to 100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float | int | None]:
    """Count, p50, p90, p99 and max of a sample (e.g. latencies in ms)."""
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
    }


@dataclass(frozen=True)
class Target:
    """One target of issue 10: ``measured`` compared with ``limit`` (``at_least`` or at most)."""

    name: str
    limit: float
    unit: str
    at_least: bool = False

    def check(self, measured: float | None) -> str:
        if measured is None:
            return "n/a"
        ok = measured >= self.limit if self.at_least else measured <= self.limit
        return "pass" if ok else "MISS"

    def text(self) -> str:
        return f"{'≥' if self.at_least else '≤'} {self.limit:g} {self.unit}".strip()


TARGETS = {
    "noop_ratio": Target("throughput real ÷ no-op", 0.9, "", at_least=True),
    "step_p50_ms": Target("per-step overhead p50", 50, "ms"),
    "step_p99_ms": Target("per-step overhead p99", 500, "ms"),
    "commits_per_service_task": Target("task-path store commits per svc task", 2, ""),
    "all_commits_per_service_task": Target("all store commits per svc task", 2, ""),
    "stack_rss_mb": Target("whole stack peak RSS", 2048, "MB"),
    "stack_pss_mb": Target("whole stack peak PSS", 2048, "MB"),
    "create_p99_ms": Target("order creation p99 at 50 req/s", 100, "ms"),
}


def dig(data: dict[str, Any], path: str) -> Any:
    """``dig(d, "a.b")`` is ``d["a"]["b"]``, or None when a part is missing."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# Where each target's figure sits in the results document.
TARGET_SOURCES = {
    "noop_ratio": "derived.noop_ratio",
    "step_p50_ms": "steps.service_task_ms.p50",
    "step_p99_ms": "steps.service_task_ms.p99",
    "commits_per_service_task": "derived.commits_per_service_task",
    "all_commits_per_service_task": "derived.all_commits_per_service_task",
    "stack_rss_mb": "derived.stack_peak_rss_mb",
    "stack_pss_mb": "derived.stack_peak_pss_mb",
    "create_p99_ms": "api.latency_ms.p99",
}


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured figure and pass / MISS (n/a when its part did not run)."""
    rows = []
    for key, target in TARGETS.items():
        measured = dig(results, TARGET_SOURCES[key])
        rows.append(
            {
                "target": key,
                "name": target.name,
                "limit": target.text(),
                "measured": measured,
                "verdict": target.check(measured),
            }
        )
    return rows


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[fmt(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def cpu_shares(cpu_s: dict[str, float]) -> dict[str, float]:
    """Each component's share (0 to 1) of the CPU seconds all components used."""
    total = sum(cpu_s.values())
    return {name: (seconds / total if total else 0.0) for name, seconds in cpu_s.items()}
