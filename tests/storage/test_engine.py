"""The database engine's errors, as they reach the log."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import Database


def test_a_failed_statement_logs_no_parameters(database_url):
    """A failing transaction's error is logged; its parameters hold reply tokens and customers' words."""
    database = Database(database_url)
    try:
        with pytest.raises(DBAPIError) as error, database.session_scope() as session:
            session.execute(text("INSERT INTO no_such_table (token, words) VALUES (:token, :words)"),
                            {"token": "reply-token-9f2c", "words": "我的電話是0912345678"})
    finally:
        database.dispose()
    message = str(error.value)
    assert "no_such_table" in message  # the statement still says what failed
    assert "reply-token-9f2c" not in message and "0912345678" not in message
