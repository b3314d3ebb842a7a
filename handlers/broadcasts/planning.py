"""Planning a broadcast: who it reaches, who it leaves out and why, what it costs, and the snapshot at send time."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.broadcasts.invitation import invitation_card
from handlers.broadcasts.segments import Segment, parse_segment
from handlers.catalogue import DEFAULT_LANGUAGE, Catalogue
from handlers.errors import KoubeiError
from handlers.options import positive_number, shop_zone
from handlers.replies import Card
from handlers.surveys.engine import SurveyOptions
from handlers.surveys.questions import QuestionKind, SurveyDefinition
from storage import broadcasts, segments, surveys
from storage.models import Broadcast, BroadcastStatus, Survey, SurveyVersion
from storage.segments import Exclusion, Rules

MULTICAST_LIMIT = 500  # LINE's maximum recipients per multicast call
MESSAGES_PER_INVITATION = 1  # the card; everything after the tap is a free reply


class BroadcastRefused(KoubeiError):
    """A broadcast that cannot be planned or changed (unknown survey, bad time, already finished...)."""


@dataclass(frozen=True)
class BroadcastOptions:
    """Sending knobs from KOUBEI_BROADCAST_* settings."""

    rate_per_second: float = 150.0  # LINE allows about 200 multicast requests a second
    concurrency: int = 4
    max_attempts: int = 6
    retry_base_seconds: float = 1.0
    lease_seconds: float = 60.0

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> BroadcastOptions:
        """Read KOUBEI_BROADCAST_{RATE,CONCURRENCY,MAX_ATTEMPTS,RETRY_BASE_SECONDS,LEASE_SECONDS}."""
        def number(name: str, default: float, kind: type = float) -> float:
            return positive_number(options, f"KOUBEI_BROADCAST_{name}", default, kind)

        return cls(rate_per_second=number("RATE", cls.rate_per_second),
                   concurrency=int(number("CONCURRENCY", cls.concurrency, int)),
                   max_attempts=int(number("MAX_ATTEMPTS", cls.max_attempts, int)),
                   retry_base_seconds=number("RETRY_BASE_SECONDS", cls.retry_base_seconds),
                   lease_seconds=number("LEASE_SECONDS", cls.lease_seconds))


@dataclass(frozen=True)
class Audience:
    """The segment measured against the rules: matched, excluded by reason, recipients by language."""

    matched: int
    excluded: dict[str, int]
    by_language: dict[str, int]

    @property
    def recipients(self) -> int:
        """Customers who will get the invitation."""
        return sum(self.by_language.values())

    @property
    def batches(self) -> int:
        """Multicast calls: each holds up to 500 customers of one language."""
        return sum(math.ceil(count / MULTICAST_LIMIT) for count in self.by_language.values())

    @property
    def paid_messages(self) -> int:
        """Messages counted against LINE's monthly quota."""
        return self.recipients * MESSAGES_PER_INVITATION


@dataclass(frozen=True)
class Preview:
    """What a broadcast would do now, shown before anyone confirms it."""

    survey: Survey
    version: SurveyVersion
    segment: Segment
    audience: Audience
    cards: dict[str, Card]


def survey_version(session: Session, *, key: str) -> tuple[Survey, SurveyVersion]:
    """The survey and the version new invitations use."""
    survey = surveys.get_by_key(session, key=key)
    version = surveys.get_latest_version(session, survey_id=survey.id) if survey else None
    if version is None:
        raise BroadcastRefused(f"no survey with key {key!r} (the surveys list command shows them)")
    return survey, version


def nps_questions(session: Session) -> tuple[tuple[int, str], ...]:
    """(version id, question id) of every NPS question ever asked, for the NPS-group rules."""
    found = []
    for survey in surveys.list_surveys(session):
        for version in surveys.list_versions(session, survey_id=survey.id):
            found += [(version.id, q["id"]) for q in version.definition["questions"] if q["kind"] == QuestionKind.NPS]
    return tuple(found)


def language_map(session: Session, catalogue: Catalogue) -> dict[str, str]:
    """Each LINE language customers have, mapped to the catalogue language their invitation uses."""
    return {raw: catalogue.resolve_language(raw) for raw in segments.list_languages(session) if raw}


def _plan(session: Session, *, segment: Segment, version_id: int, now: datetime,
          options: Mapping[str, str]) -> tuple[segments.Criteria, Rules]:
    nps = nps_questions(session) if segment.nps else ()
    criteria = segment.criteria(now=now, zone=shop_zone(options), nps_questions=nps)
    rules = Rules(version_id=version_id, now=now, min_interval=SurveyOptions.from_options(options).interval,
                  include_open_cases=segment.include_open_cases)
    return criteria, rules


def measure(session: Session, *, segment: Segment, version_id: int, now: datetime, catalogue: Catalogue,
            options: Mapping[str, str]) -> Audience:
    """Count who the segment reaches today and who the rules leave out."""
    criteria, rules = _plan(session, segment=segment, version_id=version_id, now=now, options=options)
    counts = segments.count_audience(session, criteria=criteria, rules=rules,
                                     language_of=language_map(session, catalogue), default_language=DEFAULT_LANGUAGE)
    excluded = {str(reason): sum(n for (why, _), n in counts.items() if why == reason) for reason in Exclusion}
    by_language: dict[str, int] = {}
    for (why, language), count in sorted(counts.items(), key=lambda item: item[0][1]):
        if why is None:
            by_language[language] = by_language.get(language, 0) + count
    return Audience(matched=sum(counts.values()), excluded={k: v for k, v in excluded.items() if v},
                    by_language=by_language)


def preview(session: Session, *, survey_key: str, spec: str, now: datetime, catalogue: Catalogue,
            options: Mapping[str, str]) -> Preview:
    """Measure a broadcast and build the invitation as each language's recipients will see it."""
    segment = parse_segment(spec)
    survey, version = survey_version(session, key=survey_key)
    audience = measure(session, segment=segment, version_id=version.id, now=now, catalogue=catalogue,
                       options=options)
    definition = SurveyDefinition.from_json(version.definition)
    languages = list(audience.by_language) or [DEFAULT_LANGUAGE]
    cards = {language: invitation_card(catalogue.translator(language), key=survey.key, definition=definition,
                                       broadcast_id=0) for language in languages}
    return Preview(survey=survey, version=version, segment=segment, audience=audience, cards=cards)


def create(session: Session, *, plan: Preview, at: datetime | None, now: datetime) -> Broadcast:
    """Record a confirmed broadcast, to start now or at its time."""
    if at is not None and at < now:
        raise BroadcastRefused(f"{at.isoformat()} is in the past")
    return broadcasts.create_broadcast(session, survey_id=plan.survey.id, segment=str(plan.segment),
                                       scheduled_at=at or now, previewed_recipients=plan.audience.recipients,
                                       now=now)


def start(session: Session, *, broadcast_id: int, now: datetime, catalogue: Catalogue,
          options: Mapping[str, str]) -> bool:
    """Claim a due broadcast and snapshot its recipients into batches; False when it is not due or taken."""
    broadcast = broadcasts.get_broadcast(session, broadcast_id=broadcast_id)
    if broadcast is None:
        return False
    version = surveys.get_latest_version(session, survey_id=broadcast.survey_id)
    if not broadcasts.mark_started(session, broadcast_id=broadcast_id, version_id=version.id, now=now):
        return False
    segment = parse_segment(broadcast.segment)
    audience = measure(session, segment=segment, version_id=version.id, now=now, catalogue=catalogue,
                       options=options)
    criteria, rules = _plan(session, segment=segment, version_id=version.id, now=now, options=options)
    languages = language_map(session, catalogue)
    segments.snapshot_recipients(session, broadcast_id=broadcast_id, criteria=criteria, rules=rules,
                                 language_of=languages, default_language=DEFAULT_LANGUAGE, batch_size=MULTICAST_LIMIT)
    batches = segments.summarize_batches(session, broadcast_id=broadcast_id, language_of=languages,
                                         default_language=DEFAULT_LANGUAGE)
    broadcasts.create_batches(session, broadcast_id=broadcast_id, batches=batches)
    count = sum(size for _, _, size in batches)
    session.refresh(broadcast)
    broadcast.recipients = count
    broadcast.exclusions = audience.excluded
    if count == 0:
        broadcasts.finish(session, broadcast_id=broadcast_id, now=now)
    return True


def invitation_cards(session: Session, *, broadcast: Broadcast, catalogue: Catalogue) -> dict[str, Card]:
    """The invitation of a started broadcast, in each language its batches use."""
    version = session.get(SurveyVersion, broadcast.version_id)
    survey = session.get(Survey, broadcast.survey_id)
    definition = SurveyDefinition.from_json(version.definition)
    return {language: invitation_card(catalogue.translator(language), key=survey.key, definition=definition,
                                      broadcast_id=broadcast.id)
            for language in broadcasts.list_batch_languages(session, broadcast_id=broadcast.id)}


def cancel(session: Session, *, broadcast_id: int, now: datetime) -> Broadcast:
    """Cancel a broadcast before it finishes: batches not yet attempted are never sent."""
    broadcast = broadcasts.get_broadcast(session, broadcast_id=broadcast_id)
    if broadcast is None:
        raise BroadcastRefused(f"no broadcast #{broadcast_id}")
    if not broadcasts.cancel(session, broadcast_id=broadcast_id, now=now):
        raise BroadcastRefused(f"broadcast #{broadcast_id} is {broadcast.status}: there is nothing left to cancel")
    session.refresh(broadcast)
    return broadcast


def resume(session: Session, *, broadcast_id: int) -> int:
    """Let a stopped or partly failed broadcast send again; return how many failed batches go back in line."""
    broadcast = broadcasts.get_broadcast(session, broadcast_id=broadcast_id)
    if broadcast is None:
        raise BroadcastRefused(f"no broadcast #{broadcast_id}")
    if broadcast.status == BroadcastStatus.SENDING:
        return 0
    if broadcast.status not in (BroadcastStatus.STOPPED, BroadcastStatus.PARTIAL):
        raise BroadcastRefused(f"broadcast #{broadcast_id} is {broadcast.status}: only a stopped, partly failed "
                               "or interrupted broadcast can be resumed")
    return broadcasts.reopen(session, broadcast_id=broadcast_id)
