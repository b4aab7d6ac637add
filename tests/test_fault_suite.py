"""The fault suite's short variant (``./dev faults --short``): every fault kind once, two engine restarts.

It runs on a stack of its own (two embedded PostgreSQL servers, a two-node cluster, workers, the API
over real HTTP, the mail sink); nothing of the session's engine or database is touched.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from doorflow import faults
from doorflow.settings import ROOT

pytestmark = pytest.mark.engine


def test_short_fault_run_loses_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []
    output = ROOT / "test-artifacts" / "faults-short.json"
    # Not under pytest's temporary root: PostgreSQL runs as its own user and restarts during the run,
    # and pytest makes that root private again whenever another pytest session starts on the machine.
    work_dir = Path(tempfile.mkdtemp(prefix="doorflow-test-faults-"))
    try:
        result = faults.run(faults.FaultOptions.short(work_dir=work_dir, output=output), say=lines.append)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    options = faults.FaultOptions.short()
    with capsys.disabled():  # the figures are shown in every run's output
        print("\n" + "\n".join(f"[faults] {line}" for line in lines if not line.startswith(("engine:", "stack:"))))

    failed = [f"{c.name}: {c.detail}" for c in result.checks if not c.passed]
    assert failed == []
    assert {c.name for c in result.checks} >= {
        "every order completed and every ticket closed",
        "each completed external task has exactly one effect record",
        "every business effect exactly once (documents, e-mails, payments, stock moves, audit rows)",
        "no open incident",
    }
    assert set(result.injected) == set(faults.FAULT_KINDS)
    assert all(result.injected[kind] >= 1 for kind in faults.FAULT_KINDS)
    assert result.injected[faults.ENGINE_RESTARTS] == options.engine_restarts == 2
    assert result.redeliveries_absorbed >= 1
    # The first installment was paid only after its settlement notice went out, whatever the hour.
    assert result.figures["effects"]["emails_received"] >= 1
    assert "notice_before_payment" in result.figures
    assert result.passed
