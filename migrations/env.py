"""Alembic environment: the URL comes from the caller (doorflow.store) or DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from models.db import Base, load_all_tables, sqlalchemy_url

load_all_tables()

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "")
if not url:
    raise SystemExit("set DATABASE_URL (or run migrations through `./dev migrate`)")

engine = create_engine(sqlalchemy_url(url))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
