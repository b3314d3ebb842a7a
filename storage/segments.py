"""Segments in SQL: who a broadcast targets, why the others are left out, and the recipients snapshot.

Everything here is set-based (counts with GROUP BY, INSERT … SELECT), so a segment of 100,000
customers never becomes 100,000 Python objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, exists, false, func, insert, literal, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Grouping

from storage.models import (
    BatchStatus,
    Broadcast,
    BroadcastBatch,
    BroadcastRecipient,
    BroadcastStatus,
    Customer,
    CustomerTag,
    FollowStatus,
    Referral,
    ResponseState,
    SurveyAnswer,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
)
from storage.models.cases import Case, CaseStatus
from storage.models.referrals import ReferralStatus
from storage.staff import active_staff_line_ids


class NpsGroup(StrEnum):
    """A customer's group from their last NPS answer (0–6, 7–8, 9–10), or none yet."""

    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"
    NONE = "none"


class ReferralRole(StrEnum):
    """A customer's place in the referral programme."""

    REFERRER = "referrer"  # brought at least one friend
    REFERRED = "referred"  # joined with someone's code
    PENDING = "pending"  # referred, no first purchase yet
    QUALIFIED = "qualified"  # referred and qualified
    NONE = "none"  # neither referred anyone nor was referred


class Exclusion(StrEnum):
    """Why a customer the segment matched gets no invitation; the first that applies is reported."""

    UNFOLLOWED = "unfollowed"
    STAFF = "staff"
    OPTED_OUT = "opted_out"
    OPEN_CASE = "open_case"
    ALREADY_ANSWERED = "already_answered"
    ALREADY_INVITED = "already_invited"
    IN_PROGRESS = "in_progress"
    TOO_SOON = "too_soon"


NPS_RANGES = {NpsGroup.PROMOTER: (9, 10), NpsGroup.PASSIVE: (7, 8), NpsGroup.DETRACTOR: (0, 6)}


@dataclass(frozen=True)
class Criteria:
    """What the segment asks for; every field narrows it, an empty one does not."""

    tags: tuple[frozenset[str], ...] = ()  # each set matches any of its tags; the sets all apply
    without_tags: frozenset[str] = frozenset()
    followed_from: datetime | None = None
    followed_before: datetime | None = None
    not_surveyed_since: datetime | None = None
    nps: frozenset[NpsGroup] = frozenset()
    nps_questions: tuple[tuple[int, str], ...] = ()  # (version id, question id) of every NPS question
    referral: frozenset[ReferralRole] = frozenset()


@dataclass(frozen=True)
class Rules:
    """What every broadcast respects, whatever its segment: consent, open cases and survey fatigue."""

    version_id: int
    now: datetime
    min_interval: timedelta
    include_open_cases: bool = False


def _tagged(tags: frozenset[str]) -> ColumnElement[bool]:
    return Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag.in_(sorted(tags))))


def _surveyed_since(moment: datetime) -> ColumnElement[bool]:
    invited = select(SurveyInvitation.customer_id).where(SurveyInvitation.sent_at > moment)
    started = select(SurveyResponse.customer_id).where(SurveyResponse.started_at > moment)
    return or_(Customer.id.in_(invited), Customer.id.in_(started))


def _nps(groups: frozenset[NpsGroup], questions: tuple[tuple[int, str], ...]) -> ColumnElement[bool]:
    if not questions:
        return true() if NpsGroup.NONE in groups else false()
    asked = or_(*(and_(SurveyResponse.version_id == version, SurveyAnswer.question_id == question)
                  for version, question in questions))
    last = (select(SurveyResponse.customer_id.label("customer_id"), func.max(SurveyAnswer.id).label("answer_id"))
            .join(SurveyResponse, SurveyAnswer.response_id == SurveyResponse.id)
            .where(asked, SurveyAnswer.number.is_not(None)).group_by(SurveyResponse.customer_id).subquery())
    matches = []
    for group in sorted(groups - {NpsGroup.NONE}):
        low, high = NPS_RANGES[group]
        scored = (select(last.c.customer_id).join(SurveyAnswer, SurveyAnswer.id == last.c.answer_id)
                  .where(SurveyAnswer.number.between(low, high)))
        matches.append(Customer.id.in_(scored))
    if NpsGroup.NONE in groups:
        matches.append(Customer.id.not_in(select(last.c.customer_id)))
    return or_(*matches)


def _referral(roles: frozenset[ReferralRole]) -> ColumnElement[bool]:
    referrers = select(Referral.referrer_id)
    referees = select(Referral.referee_id)
    conditions = {
        ReferralRole.REFERRER: Customer.id.in_(referrers),
        ReferralRole.REFERRED: Customer.id.in_(referees),
        ReferralRole.PENDING: Customer.id.in_(referees.where(Referral.status == ReferralStatus.JOINED)),
        ReferralRole.QUALIFIED: Customer.id.in_(referees.where(Referral.status == ReferralStatus.QUALIFIED)),
        ReferralRole.NONE: and_(Customer.id.not_in(referrers), Customer.id.not_in(referees)),
    }
    return or_(*(conditions[role] for role in sorted(roles)))


def targeted(criteria: Criteria) -> list[ColumnElement[bool]]:
    """The segment's conditions on customers (no condition: everyone)."""
    conditions = [_tagged(tags) for tags in criteria.tags]
    if criteria.without_tags:
        conditions.append(~_tagged(criteria.without_tags))
    if criteria.followed_from is not None:
        conditions.append(Customer.first_followed_at >= criteria.followed_from)
    if criteria.followed_before is not None:
        conditions.append(Customer.first_followed_at < criteria.followed_before)
    if criteria.not_surveyed_since is not None:
        conditions.append(~_surveyed_since(criteria.not_surveyed_since))
    if criteria.nps:
        conditions.append(_nps(criteria.nps, criteria.nps_questions))
    if criteria.referral:
        conditions.append(_referral(criteria.referral))
    return conditions


def awaits_broadcast(session: Session, *, customer_id: int, version_id: int) -> bool:
    """Whether a broadcast of this version still means to invite the customer (see ``_queued``).

    Looked up by the recipients' key (broadcast, customer), not by listing a running broadcast's
    100,000 recipients for each invitation.
    """
    found = _still_to_reach(version_id).where(BroadcastRecipient.customer_id == customer_id).limit(1)
    return session.scalar(found) is not None


def _still_to_reach(version_id: int):
    """The recipients of broadcasts of this version that have not reached them yet but still may (sending,
    or stopped or partly failed and waiting for a resume): their invitation is recorded only once LINE has it."""
    batch = and_(BroadcastBatch.broadcast_id == BroadcastRecipient.broadcast_id,
                 BroadcastBatch.number == BroadcastRecipient.batch_number)
    return (select(BroadcastRecipient.customer_id)
            .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id).join(BroadcastBatch, batch)
            .where(Broadcast.version_id == version_id,
                   Broadcast.status.in_((BroadcastStatus.SENDING, BroadcastStatus.STOPPED, BroadcastStatus.PARTIAL)),
                   BroadcastBatch.status.in_((BatchStatus.PENDING, BatchStatus.SENDING, BatchStatus.FAILED))))


def _queued(version_id: int) -> ColumnElement[bool]:
    """In another broadcast of this version that has not reached them yet but still may."""
    return Customer.id.in_(_still_to_reach(version_id))


def exclusions(rules: Rules) -> list[tuple[Exclusion, ColumnElement[bool]]]:
    """Each always-on rule as a condition that excludes, in the order they are reported."""
    responses = select(SurveyResponse.customer_id)
    rules_in_order = [
        *_unwilling(),
        (Exclusion.OPEN_CASE, Customer.id.in_(select(Case.customer_id).where(Case.status != CaseStatus.RESOLVED))),
        (Exclusion.ALREADY_ANSWERED, _answered(rules.version_id)),
        (Exclusion.ALREADY_INVITED, or_(Customer.id.in_(select(SurveyInvitation.customer_id).where(
            SurveyInvitation.version_id == rules.version_id)), _queued(rules.version_id))),
        (Exclusion.IN_PROGRESS, Customer.id.in_(responses.where(
            SurveyResponse.state == ResponseState.ASKING, SurveyResponse.expires_at > rules.now))),
        (Exclusion.TOO_SOON, _surveyed_since(rules.now - rules.min_interval)),
    ]
    return [(reason, condition) for reason, condition in rules_in_order
            if not (reason == Exclusion.OPEN_CASE and rules.include_open_cases)]


def no_longer_reachable(version_id: int) -> ColumnElement[bool]:
    """Who must not get a snapshotted invitation after all (checked again before each batch's first call,
    which may come days after the snapshot when a send waits for a resume): unfollowed, now staff, opted out,
    or invited to or finished this version by another path meanwhile."""
    return or_(*(condition for _, condition in _unwilling()),
               # per customer, on the (customer, version) key: this version's invitations grow to the whole
               # broadcast as it is sent, too many to list again before each batch
               exists().where(SurveyInvitation.customer_id == Customer.id, SurveyInvitation.version_id == version_id),
               _answered(version_id))


def _unwilling() -> list[tuple[Exclusion, ColumnElement[bool]]]:
    """Who may not be invited whatever the survey: blocked the account, enrolled staff, opted out."""
    return [(Exclusion.UNFOLLOWED, Customer.follow_status == FollowStatus.UNFOLLOWED),
            (Exclusion.STAFF, Customer.line_user_id.in_(active_staff_line_ids())),
            (Exclusion.OPTED_OUT, Customer.id.in_(select(SurveyOptOut.customer_id)))]


def _answered(version_id: int) -> ColumnElement[bool]:
    """Finished this survey version."""
    return Customer.id.in_(select(SurveyResponse.customer_id).where(
        SurveyResponse.version_id == version_id, SurveyResponse.state == ResponseState.COMPLETED))


def language_group(language_of: Mapping[str, str], default: str) -> ColumnElement[str]:
    """Each customer's catalogue language, from the mapping of their LINE language (unlisted: default)."""
    whens = [(Customer.language == raw, literal(group)) for raw, group in sorted(language_of.items())
             if group != default]
    return case(*whens, else_=literal(default)) if whens else literal(default)


def list_languages(session: Session) -> list[str | None]:
    """The distinct LINE languages customers have."""
    return list(session.scalars(select(Customer.language).distinct()))


def count_audience(session: Session, *, criteria: Criteria, rules: Rules, language_of: Mapping[str, str],
                   default_language: str) -> dict[tuple[str | None, str], int]:
    """Customers the segment matches, by exclusion reason (None: will be invited) and language."""
    reason = case(*[(condition, literal(str(why))) for why, condition in exclusions(rules)], else_=None)
    language = language_group(language_of, default_language)
    each = (select(reason.label("reason"), language.label("language")).select_from(Customer)
            .where(*targeted(criteria)).subquery())
    query = select(each.c.reason, each.c.language, func.count()).group_by(each.c.reason, each.c.language)
    return {(why, lang): count for why, lang, count in session.execute(query)}


def snapshot_recipients(session: Session, *, broadcast_id: int, criteria: Criteria, rules: Rules,
                        language_of: Mapping[str, str], default_language: str, batch_size: int) -> None:
    """Write the recipients, numbered into batches of one language each."""
    allowed = [~condition for _, condition in exclusions(rules)]
    chosen = (select(Customer.id.label("customer_id"),
                     language_group(language_of, default_language).label("language"))
              .where(*targeted(criteria), *allowed).subquery())
    ranked = select(chosen.c.customer_id, chosen.c.language, func.row_number().over(
        partition_by=chosen.c.language, order_by=chosen.c.customer_id).label("position")).subquery()
    # batch numbers run language by language: every batch holds one language and at most batch_size people
    slot = Grouping(ranked.c.position - 1).op("/")(batch_size)  # integer division on both backends
    numbered = select(literal(broadcast_id), ranked.c.customer_id,
                      func.dense_rank().over(order_by=(ranked.c.language, slot)))
    statement = insert(BroadcastRecipient).from_select(
        ["broadcast_id", "customer_id", "batch_number"], numbered)
    session.execute(statement)


def summarize_batches(session: Session, *, broadcast_id: int, language_of: Mapping[str, str],
                      default_language: str) -> list[tuple[int, str, int]]:
    """(batch number, language, size) of a snapshot, in order."""
    language = language_group(language_of, default_language)
    query = (select(BroadcastRecipient.batch_number, func.min(language), func.count())
             .join(Customer, Customer.id == BroadcastRecipient.customer_id)
             .where(BroadcastRecipient.broadcast_id == broadcast_id)
             .group_by(BroadcastRecipient.batch_number).order_by(BroadcastRecipient.batch_number))
    return [(number, lang, size) for number, lang, size in session.execute(query)]
