"""Customer tags for segments: set by staff one by one, or imported from a CSV of LINE user IDs and tags."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from sqlalchemy.orm import Session

from handlers.broadcasts.segments import InvalidSegment, normalize_tag
from handlers.spreadsheets import decode_csv
from storage import customer_tags

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
ID_COLUMNS = ("line_user_id", "user_id", "userid")
TAG_COLUMNS = ("tags", "tag")
TAG_SEPARATORS = re.compile(r"[;|]")


@dataclass
class TagFile:
    """A checked CSV: the (LINE user ID, tag) pairs, or the problems with their line numbers."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Tagged:
    """What tagging did."""

    customers: int
    created: int
    added: int


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [name.strip().lower() for name in header]
    return next((lowered.index(name) for name in names if name in lowered), None)


def read_tag_file(handle: TextIO) -> TagFile:
    """Read ``line_user_id,tags`` rows (several tags separated by ; or |), checking every line."""
    result = TagFile()
    rows = csv.reader(handle)
    header = next(rows, None) or []
    id_at, tags_at = _column(header, ID_COLUMNS), _column(header, TAG_COLUMNS)
    if id_at is None or tags_at is None:
        result.problems.append("line 1: the header must name a line_user_id column and a tags (or tag) column")
        return result
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        user_id = row[id_at].strip() if id_at < len(row) else ""
        if not USER_ID.match(user_id):
            result.problems.append(f"line {line}: {user_id!r} is not a LINE user ID (U and 32 hex digits)")
            continue
        # full-width ； and ｜ (a Chinese input method's) separate tags too
        cell = unicodedata.normalize("NFKC", row[tags_at]) if tags_at < len(row) else ""
        tags = [tag for tag in TAG_SEPARATORS.split(cell) if tag.strip()]
        if not tags:
            result.problems.append(f"line {line}: no tag for {user_id}")
        for tag in tags:
            try:
                result.pairs.append((user_id, normalize_tag(tag)))
            except InvalidSegment as exc:
                result.problems.append(f"line {line}: {exc}")
    return result


def read_tag_bytes(data: bytes) -> TagFile:
    """Read a tag CSV saved as UTF-8 or Big5."""
    text = decode_csv(data)
    if text is None:
        return TagFile(problems=["the file must be UTF-8 or Big5 (cp950) text; in Excel, save it as CSV UTF-8"])
    return read_tag_file(io.StringIO(text, newline=""))


def tag_customers(session: Session, *, pairs: Iterable[tuple[str, str]], now: datetime) -> Tagged:
    """Give customers tags; a LINE user ID we have not met yet becomes a customer (follow status unknown)."""
    pairs = list(pairs)
    ids, created = customer_tags.ensure_customers(session, line_user_ids={user for user, _ in pairs}, now=now)
    added = customer_tags.add_tags(session, pairs={(ids[user], tag) for user, tag in pairs}, now=now)
    return Tagged(customers=len(ids), created=created, added=added)


def untag_customers(session: Session, *, line_user_ids: Iterable[str], tags: Iterable[str]) -> int:
    """Take tags away from customers; return how many were removed."""
    ids = customer_tags.find_customer_ids(session, line_user_ids=set(line_user_ids))
    return customer_tags.remove_tags(session, customer_ids=set(ids.values()), tags={normalize_tag(t) for t in tags})
