"""A Core statement compiled once and run straight on the driver's cursor.

For the statements that run once per webhook or per task: there SQLAlchemy's Connection,
transaction and result machinery cost about twice the SQL itself (0.6 of 0.9 ms per request on
SQLite for the webhook's insert). The SQL text, the order
of the parameters and their conversions (datetimes, JSON) still come from SQLAlchemy, per
dialect, so the statement means what the Core one means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable


class DriverStatement:
    """``statement`` compiled for ``dialect`` with the given parameter names; literals keep their values."""

    def __init__(self, statement: Executable, dialect: Dialect, names: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        self.sql = compiled.string
        self._positional = compiled.positional
        self._order = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        self._convert = {}
        for name in self._order:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._convert[name] = processor
        self._key = {name: compiled.binds[name].key for name in self._order}
        self._fixed = {name: compiled.binds[name].value for name in self._order}  # literals in the statement

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters for one row, converted as SQLAlchemy would."""
        converted = {}
        for name in self._order:
            key = self._key[name]
            value = values[key] if key in values else self._fixed[name]
            processor = self._convert.get(name)
            converted[name] = processor(value) if processor is not None else value
        return [converted[name] for name in self._order] if self._positional else converted

    def execute(self, cursor, rows: Iterable[Mapping[str, Any]]) -> list[tuple]:
        """Run once per row on the cursor; return every row the statement returned."""
        result = []
        for values in rows:
            cursor.execute(self.sql, self.parameters(values))
            if cursor.description is not None:
                result += cursor.fetchall()
        return result
