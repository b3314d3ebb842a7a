"""Staff enrolment in LINE: a one-time code sent 1:1 makes the sender staff, a group code makes a staff group.

Codes are printed by ``flask staff invite`` / ``flask staff group-code``; only their SHA-256 is stored,
they expire, and redeeming one is a single conditional UPDATE, so a code works once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handlers.catalogue import Translator
from handlers.context import HandlerContext
from handlers.events import InboundEvent
from handlers.replies import Outgoing, Text
from handlers.routing import Router
from storage import cases, staff
from storage.models import CodeKind, StaffCode, StaffMember, StaffRole

ENROLMENT_PRIORITY = 10
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols, none that look alike (0/O, 1/I)
GROUPS, GROUP_LENGTH = 3, 4  # 12 symbols: 60 random bits
PREFIX = {CodeKind.STAFF: "STAFF", CodeKind.GROUP: "GROUP"}
CODE_PATTERN = re.compile(r"^(STAFF|GROUP)-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")


@dataclass(frozen=True)
class IssuedCode:
    """A code as printed once for the shop owner; only its hash is kept."""

    code: str
    kind: CodeKind
    expires_at: datetime


def normalize_code(text: str) -> str:
    """Read a code the way people type it: full-width letters, lower case, spaces around it."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def hash_code(code: str) -> str:
    """The stored form of a code: a plain SHA-256 suffices for 60 random bits that expire."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def issue_code(session: Session, *, kind: CodeKind, now: datetime, valid_for: timedelta,
               name: str | None = None, role: StaffRole | None = None) -> IssuedCode:
    """Create a one-time code for a new staff member (kind STAFF) or for the staff group (kind GROUP)."""
    body = "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))
    code = f"{PREFIX[kind]}-{body}"
    staff.create_code(session, kind=kind, code_hash=hash_code(code), now=now, expires_at=now + valid_for,
                      name=name, role=role)
    return IssuedCode(code, kind, now + valid_for)


def role_label(t: Translator, role: str) -> str:
    """A role as staff read it."""
    return t(f"staff.role.{role}")


ACTOR = "staff.actor"


def get_actor(ctx: HandlerContext, event: InboundEvent) -> StaffMember | None:
    """The active staff member who sent this event (in a 1:1 chat or a group), if the sender is staff.

    Looked up once per event: the relay and staff chat handlers both ask for every 1:1 text.
    """
    if event.user_id is None:
        return None
    if ACTOR not in ctx.memo:
        ctx.memo[ACTOR] = staff.get_active_by_line_id(ctx.session, line_user_id=event.user_id)
    return ctx.memo[ACTOR]


def _refusal(ctx: HandlerContext, code_hash: str) -> list[Outgoing]:
    """Say why a code did not work: unknown, already used, or expired."""
    row: StaffCode | None = staff.get_code(ctx.session, code_hash=code_hash)
    if row is not None and row.used_at is not None:
        return [Text(ctx.t("staff.code_used"))]
    if row is not None and row.expires_at <= ctx.now:
        return [Text(ctx.t("staff.code_expired"))]
    return [Text(ctx.t("staff.code_invalid"))]


def _enrol(ctx: HandlerContext, event: InboundEvent, code_hash: str) -> list[Outgoing]:
    if event.is_group:
        return [Text(ctx.t("staff.code_in_group"))]
    current = get_actor(ctx, event)
    if current is not None:
        return [Text(ctx.t("staff.already_enrolled", name=current.name))]
    used = staff.redeem_code(ctx.session, code_hash=code_hash, kind=CodeKind.STAFF, used_by=event.user_id,
                             now=ctx.now)
    if used is None:
        return _refusal(ctx, code_hash)
    member = staff.create_member(ctx.session, name=used.name or "", role=used.role or StaffRole.STAFF,
                                 line_user_id=event.user_id, now=ctx.now)
    if member is None:
        # the same person sent two codes at once: one enrolment is enough
        return [Text(ctx.t("staff.already_enrolled", name=used.name or ""))]
    has_group = staff.get_staff_group(ctx.session) is not None
    key = "staff.enrolled_group" if has_group else "staff.enrolled"
    return [Text(ctx.t(key, name=member.name, role=role_label(ctx.t, member.role)))]


def _link_group(ctx: HandlerContext, event: InboundEvent, code_hash: str) -> list[Outgoing]:
    if not event.is_group:
        return [Text(ctx.t("staff.group_code_in_chat"))]
    used = staff.redeem_code(ctx.session, code_hash=code_hash, kind=CodeKind.GROUP, used_by=event.group_id,
                             now=ctx.now)
    if used is None:
        return _refusal(ctx, code_hash)
    staff.link_group(ctx.session, line_group_id=event.group_id, now=ctx.now)
    return [Text(ctx.t("staff.group_linked"))]


def on_code(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """A message that is a staff or group code: enrol the sender or link the group; anything else is not ours."""
    if event.text is None or event.user_id is None:
        return None
    code = normalize_code(event.text)
    match = CODE_PATTERN.match(code)
    if match is None:
        return None
    if match.group(1) == PREFIX[CodeKind.STAFF]:
        return _enrol(ctx, event, hash_code(code))
    return _link_group(ctx, event, hash_code(code))


def on_leave(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """The bot was removed from a group: if it was the staff group, cases go to on-duty staff again."""
    if event.group_id:
        staff.unlink_group(ctx.session, line_group_id=event.group_id, now=ctx.now)
    return []


def remove_member(session: Session, *, member: StaffMember, now: datetime) -> Sequence[int]:
    """Take someone off the staff: no more notifications, buttons refused, pending reply dropped.

    Returns the cases they had claimed and not resolved, which anyone on the staff may now take over.
    """
    staff.mark_removed(member, now=now)
    cases.drop_relays(session, staff_id=member.id)
    return cases.list_claimed_ids(session, staff_id=member.id)


def find_member(session: Session, *, ref: str) -> StaffMember | None:
    """Find an active staff member by id, LINE user ID or exact name (for the CLI)."""
    ref = ref.strip()
    if ref.isdigit():
        member = staff.get_member(session, staff_id=int(ref))
        return member if member is not None and member.removed_at is None else None
    if ref.startswith("U") and len(ref) == 33:
        return staff.get_active_by_line_id(session, line_user_id=ref)
    named = [m for m in staff.list_members(session) if m.name == ref]
    return named[0] if len(named) == 1 else None


def register(router: Router) -> None:
    """Attach code enrolment first in the message chain, and the group-leave handler."""
    router.on_message(ENROLMENT_PRIORITY, on_code)
    router.on_event("leave", on_leave)
