"""The embedded PostgreSQL trusts no connection: every login needs the password, which the URL carries."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

AUTH_METHOD = "scram-sha-256"  # doorflow.store.AUTH_METHOD


def test_connecting_without_the_password_is_refused(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")  # no libpq password file can stand in for the URL's
    url = make_url(db_url)
    target: dict[str, Any] = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    for password in (None, "not-the-password"):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(**target, password=password, connect_timeout=5)
    assert url.password, "the embedded server's URL carries its password"
    with psycopg.connect(**target, password=url.password) as c:
        assert c.execute("SELECT 1").fetchone() == (1,)
        rules = c.execute("SELECT type, auth_method FROM pg_hba_file_rules").fetchall()
    assert rules and all(method == AUTH_METHOD for _, method in rules), rules  # local (socket) logins too


def test_a_state_folder_made_before_the_password_stops_trusting_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """``./dev run``'s folder from before: its server trusted every local login; the next start sets a password."""
    import shutil
    import tempfile
    from pathlib import Path

    from doorflow.store import start_embedded_postgres, stop_embedded_postgres

    monkeypatch.delenv("DOORFLOW_EMBEDDED_PG_PASSWORD", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    folder = Path(tempfile.mkdtemp(prefix="doorflow-test-pg-old-"))  # not under pytest's root (see conftest)
    try:
        start_embedded_postgres(folder)
        stop_embedded_postgres(folder)
        hba = folder / "data" / "pg_hba.conf"  # as initdb --auth=trust wrote it
        hba.write_text(hba.read_text(encoding="utf-8").replace(AUTH_METHOD, "trust"), encoding="utf-8")
        (folder / "password").unlink()

        url = make_url(start_embedded_postgres(folder))
        rules = [line.split() for line in hba.read_text(encoding="utf-8").splitlines() if line[:1] not in ("", "#")]
        assert url.password and rules and all(rule[-1] == AUTH_METHOD for rule in rules), rules
        target: dict[str, Any] = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(**target, connect_timeout=5)
        with psycopg.connect(**target, password=url.password) as c:
            assert c.execute("SELECT 1").fetchone() == (1,)
        assert (folder / "password").read_text(encoding="utf-8") == url.password
        assert (folder / "password").stat().st_mode & 0o077 == 0  # its owner's only
    finally:
        stop_embedded_postgres(folder)
        shutil.rmtree(folder, ignore_errors=True)
