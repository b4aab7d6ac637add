"""The Alembic migrations build exactly the schema the SQLAlchemy models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from models.db import Base, load_all_tables


def test_migrated_schema_matches_the_models(db: Engine) -> None:
    load_all_tables()
    with db.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
