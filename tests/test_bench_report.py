"""The benchmark's pure helpers: percentiles, targets and the table (no stack, no timing asserted)."""

from __future__ import annotations

import pytest

from doorflow.bench import report


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert report.percentile(values, 0) == 10.0
    assert report.percentile(values, 50) == 25.0
    assert report.percentile(values, 100) == 40.0
    assert report.percentile([7.0], 99) == 7.0
    assert report.percentile([], 50) is None
    with pytest.raises(ValueError):
        report.percentile(values, 101)


def test_summary_of_a_sample() -> None:
    s = report.summary([float(v) for v in range(1, 101)])
    assert s["count"] == 100 and s["max"] == 100.0
    assert s["p50"] == pytest.approx(50.5) and s["p99"] == pytest.approx(99.01)


def test_targets_pass_miss_and_not_run() -> None:
    results = {
        "derived": {
            "noop_ratio": 0.95,
            "commits_per_service_task": 1.0,
            "all_commits_per_service_task": 2.4,
            "stack_peak_rss_mb": 1500.0,
            "stack_peak_pss_mb": 2100.0,
        },
        "steps": {"service_task_ms": {"p50": 49.0, "p99": 501.0}},
    }
    verdicts = {v["target"]: v["verdict"] for v in report.verdicts(results)}
    assert verdicts == {
        "noop_ratio": "pass",
        "step_p50_ms": "pass",
        "step_p99_ms": "MISS",
        "commits_per_service_task": "pass",
        "all_commits_per_service_task": "MISS",
        "stack_rss_mb": "pass",
        "stack_pss_mb": "MISS",
        "create_p99_ms": "n/a",
    }


def test_table_aligns_columns() -> None:
    text = report.table(["phase", "orders/h"], [["real", 1234.5], ["no-op", None]])
    lines = text.splitlines()
    assert lines[0] == "phase  orders/h"
    assert lines[2] == "real   1,234.50"
    assert lines[3] == "no-op         —"
    assert len({len(line) for line in lines}) == 1


def test_cpu_shares_add_up() -> None:
    shares = report.cpu_shares({"engine-1": 30.0, "postgres": 10.0, "workers": 0.0})
    assert shares == {"engine-1": 0.75, "postgres": 0.25, "workers": 0.0}
    assert report.cpu_shares({"a": 0.0}) == {"a": 0.0}
