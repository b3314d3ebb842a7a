"""CSV files that shop owners open in Excel or save from it.

Writing: a cell that would start a formula is written as text.

Customers choose their LINE names and type free-text answers; a value such as
``=HYPERLINK("http://…","點我")`` would otherwise run as a formula when the file is opened.
The leading apostrophe is the usual guard: spreadsheets show the text and run nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# UTF-8 with or without Excel's BOM, then Big5: what Excel on Traditional-Chinese Windows saves as "CSV"
ENCODINGS = ("utf-8-sig", "cp950")


def decode_csv(data: bytes) -> str | None:
    """A CSV file's text as Excel saves it in Taiwan (UTF-8 or Big5); None when it is neither.

    The encoding is chosen once for the whole file, never line by line: a UTF-8 file with one
    stray byte must be refused, not half read as Big5.
    """
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def text_cell(value: Any) -> Any:
    """The value, with an apostrophe before text that a spreadsheet would read as a formula."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


class SpreadsheetWriter:
    """``csv.writer`` whose cells are guarded by ``text_cell``."""

    def __init__(self, handle: TextIO) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Sequence[Any]) -> None:
        """Write one row."""
        self._writer.writerow([text_cell(value) for value in row])

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Write every row."""
        for row in rows:
            self.writerow(row)
