"""The engine's users and groups, declared once in ``engine/src/main/resources/doorflow-identity.json``.

The engine application creates them at start; doorflow reads the same file to print the demo
logins and to check that every candidate group of the diagrams exists.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from doorflow.settings import ROOT

IDENTITY_FILE = ROOT / "engine" / "src" / "main" / "resources" / "doorflow-identity.json"
# Demo-only defaults of the password variables (local runs); set the variables in any real installation.
PASSWORD_DEFAULTS = {
    "DOORFLOW_DEMO_PASSWORD": "demo",
    "DOORFLOW_ENGINE_ADMIN_PASSWORD": "admin",
    "DOORFLOW_ENGINE_SYSTEM_PASSWORD": "doorflow",
    # Service users of other systems (svc-*): demo-only defaults, like the three above; the engine
    # application has the same table (IdentityBootstrap.PASSWORD_DEFAULTS).
    "DOORFLOW_SHOP_PASSWORD": "shop-demo",
    "DOORFLOW_CRM_PASSWORD": "crm-demo",
    "DOORFLOW_FINANCE_PASSWORD": "finance-demo",
    "DOORFLOW_HOTLINE_PASSWORD": "hotline-demo",
    "DOORFLOW_WAREHOUSE_PASSWORD": "warehouse-demo",
    "DOORFLOW_LOGISTICS_PASSWORD": "logistics-demo",
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
    lines.append("API service users of other systems (password from the variable; demo-only default in brackets):")
    for svc in service_users():
        variable = svc["passwordEnv"]
        name = f"{svc['lastName']}{svc['firstName']}"
        lines.append(f"  {svc['id']:<14} {name}  {variable} ('{PASSWORD_DEFAULTS[variable]}')")
    return lines


def user(user_id: str) -> dict[str, Any]:
    found = next((u for u in users() if u["id"] == user_id), None)
    if found is None:
        raise KeyError(f"{user_id} is not declared in {IDENTITY_FILE.name}")
    return found


def password(user_id: str) -> str:
    """A declared user's password, as the engine sets it: from its ``passwordEnv`` (else the demo-only default)."""
    variable = user(user_id)["passwordEnv"]
    return os.environ.get(variable) or PASSWORD_DEFAULTS[variable]


def credentials(user_id: str) -> tuple[str, str]:
    """``(user, password)`` for HTTP Basic: ``httpx.Client(auth=credentials("svc-shop"))``."""
    return user_id, password(user_id)


def service_users() -> list[dict[str, Any]]:
    """Other systems' users (shop front, CRM, finance, hotline, warehouse, logistics): ``svc-*``."""
    return [u for u in users() if u["id"].startswith("svc-")]
