"""Persistence: models, query functions and the database handle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.db import Database

if TYPE_CHECKING:
    from flask import Flask

EXTENSION_KEY = "koubei.db"


def init_app(app: Flask, url: str) -> Database:
    """Create the app's database handle and keep it on the app, not in a global."""
    database = Database(url)
    app.extensions[EXTENSION_KEY] = database
    return database


def get_database(app: Flask) -> Database:
    """Return the database handle that init_app attached to this app."""
    return app.extensions[EXTENSION_KEY]


__all__ = ["Database", "get_database", "init_app"]
