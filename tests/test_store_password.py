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
