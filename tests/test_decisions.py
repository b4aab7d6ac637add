"""Every DMN decision evaluates on the engine with realistic inputs and gives the expected outputs.

A FEEL mistake in a cell deploys fine and fails only when evaluated, so each decision of bpmn/ is
evaluated here, on the real engine, against what the manager who tunes it expects.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from doorflow.settings import ROOT
from tests.conftest import LiveEngine

pytestmark = pytest.mark.engine
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"

# decision id → (inputs, expected outputs of the first matched rule, or None for no match)
CASES: dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]] = {
    "order-feasibility": [
        (
            {"productionOk": "yes", "materialOk": "yes", "installationOk": "yes", "leadTimeDays": 45,
             "minLeadTimeDays": 30},
            {"feasible": True, "reason": "三方确认可按期交付"},
        ),
        (
            {"productionOk": "yes", "materialOk": "no", "installationOk": "yes", "leadTimeDays": 45,
             "minLeadTimeDays": 30},
            {"feasible": False, "reason": "原材料供应不足"},
        ),
        (
            {"productionOk": "yes", "materialOk": "yes", "installationOk": "yes", "leadTimeDays": 20,
             "minLeadTimeDays": 30},
            {"feasible": False, "reason": "要求交期短于最短交期"},
        ),
    ],
    "price-approval": [
        ({"discountPercent": "3.00", "netTotal": "74658.00"}, {"approverGroup": "none"}),
        ({"discountPercent": "12.50", "netTotal": "74658.00"}, {"approverGroup": "sales-manager"}),
        ({"discountPercent": "12.50", "netTotal": "1200000.00"}, {"approverGroup": "general-manager"}),
        ({"discountPercent": "20", "netTotal": "5000.00"}, {"approverGroup": "general-manager"}),
    ],
    "change-impact": [
        ({"changeQualityImpact": "none", "changeScheduleDays": 2, "changeCostDelta": 800.0}, {"major": False}),
        ({"changeQualityImpact": "significant", "changeScheduleDays": 0, "changeCostDelta": 0.0}, {"major": True}),
        ({"changeQualityImpact": "none", "changeScheduleDays": 7, "changeCostDelta": 0.0}, {"major": True}),
        ({"changeQualityImpact": "none", "changeScheduleDays": 0, "changeCostDelta": -6000.0}, {"major": True}),
    ],
    "service-priority": [
        ({"severity": "critical", "urgency": "low"}, {"priority": "P1", "contactDeadlineHours": 2}),
        ({"severity": "high", "urgency": "medium"}, {"priority": "P2", "contactDeadlineHours": 4}),
        ({"severity": "medium", "urgency": "medium"}, {"priority": "P3", "contactDeadlineHours": 8}),
        ({"severity": "low", "urgency": "low"}, {"priority": "P4", "contactDeadlineHours": 24}),
    ],
    "dunning-ladder": [
        ({"stepNo": 1}, {"action": "reminder", "interval": "P3D"}),
        ({"stepNo": 2}, {"action": "phone", "interval": "P4D"}),
        ({"stepNo": 3}, {"action": "letter", "interval": "P7D"}),
        ({"stepNo": 4}, {"action": "visit", "interval": "P14D"}),
        ({"stepNo": 5}, None),
    ],
    "supplier-class": [
        ({"currentClass": "D", "inspections": 12, "score": 95.0, "passRate": 1.0, "onTimeRate": 1.0},
         {"supplierClass": "D"}),
        ({"currentClass": "B", "inspections": 2, "score": 40.0, "passRate": 0.5, "onTimeRate": None},
         {"supplierClass": "B"}),
        ({"currentClass": "A", "inspections": 10, "score": 85.0, "passRate": 0.7, "onTimeRate": 1.0},
         {"supplierClass": "D", "classReason": "来料检验合格率低于 80%，取消资格"}),
        ({"currentClass": "C", "inspections": 6, "score": 70.0, "passRate": 0.9, "onTimeRate": 0.9},
         {"supplierClass": "D"}),
        ({"currentClass": "B", "inspections": 6, "score": 70.0, "passRate": 0.9, "onTimeRate": 0.9},
         {"supplierClass": "C"}),
        ({"currentClass": "A", "inspections": 6, "score": 88.0, "passRate": 1.0, "onTimeRate": 0.5},
         {"supplierClass": "C"}),
        ({"currentClass": "B", "inspections": 20, "score": 93.5, "passRate": 1.0, "onTimeRate": 0.95},
         {"supplierClass": "A"}),
        ({"currentClass": "C", "inspections": 8, "score": 82.0, "passRate": 0.95, "onTimeRate": None},
         {"supplierClass": "B", "classReason": "各项指标达标，合格"}),
    ],
}  # fmt: skip


def deployed_decisions() -> set[str]:
    return {d.get("id", "") for p in (ROOT / "bpmn").rglob("*.dmn") for d in ET.parse(p).iter(f"{DMN}decision")}


def test_every_decision_has_sample_cases() -> None:
    assert set(CASES) == deployed_decisions()


@pytest.mark.parametrize(
    ("decision", "inputs", "expected"),
    [(d, i, e) for d, cases in CASES.items() for i, e in cases],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_decision_evaluates_on_the_engine(
    live_engine: LiveEngine, decision: str, inputs: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    rows = live_engine.client.evaluate_decision(decision, inputs)
    if expected is None:
        assert rows == []
        return
    assert rows, f"{decision}: no rule matched {inputs}"
    first = rows[0]
    assert {k: first.get(k) for k in expected} == expected
