"""The engine's users and groups, declared once in ``engine/src/main/resources/doorflow-identity.json``.

The engine application creates them at start; doorflow reads the same file to print the demo
logins and to check that every candidate group of the diagrams exists.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from doorflow.settings import ROOT

IDENTITY_FILE = ROOT / "engine" / "src" / "main" / "resources" / "doorflow-identity.json"
PASSWORD_DEFAULTS = {
    "DOORFLOW_DEMO_PASSWORD": "demo",
    "DOORFLOW_ENGINE_ADMIN_PASSWORD": "admin",
    "DOORFLOW_ENGINE_SYSTEM_PASSWORD": "doorflow",
}


@lru_cache
def declared() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(IDENTITY_FILE.read_text(encoding="utf-8"))
    return result


def group_names() -> dict[str, str]:
    return {g["id"]: g["name"] for g in declared()["groups"]}


def users() -> list[dict[str, Any]]:
    return list(declared()["users"])


def login_lines() -> list[str]:
    """What the run command prints: who logs in as whom, and where the passwords come from."""
    names = group_names()
    staff = [u for u in users() if u["passwordEnv"] == "DOORFLOW_DEMO_PASSWORD"]
    lines = ["logins (password from DOORFLOW_DEMO_PASSWORD, local default 'demo'):"]
    for user in staff:
        groups = "、".join(names.get(g, g) for g in user["groups"])
        lines.append(f"  {user['id']:<12} {user['lastName']}{user['firstName']}  {groups}")
    lines.append("  admin        (DOORFLOW_ENGINE_ADMIN_PASSWORD, local default 'admin')")
    return lines
