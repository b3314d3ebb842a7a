"""Alembic owns the schema: the migrations build exactly what the models describe."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

import storage.migrate
from storage.models import Base


def test_models_and_migrations_agree(database_url):
    storage.migrate.check(database_url)  # raises when autogenerate would find a difference


def test_migrations_create_every_model_table(database_url):
    engine = create_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_upgrade_is_idempotent(database_url):
    storage.migrate.upgrade(database_url)
    storage.migrate.check(database_url)
