"""Simulated answers for the installation user tasks: element id → form variables."""

from __future__ import annotations

from doorflow.staff import Answer

ANSWERS: dict[str, Answer] = {}
