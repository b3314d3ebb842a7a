"""Queries and changes on surveys, their versions, conversations, answers, invitations and opt-outs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from storage.models import (
    ResponseState,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
    SurveyVersion,
)


def get_by_key(session: Session, *, key: str) -> Survey | None:
    """Find a survey by its key."""
    return session.scalar(select(Survey).where(Survey.key == key))


def list_surveys(session: Session) -> Sequence[Survey]:
    """Every survey, by key."""
    return session.scalars(select(Survey).order_by(Survey.key)).all()


def list_public(session: Session) -> Sequence[Survey]:
    """Surveys customers may start themselves, most recently changed first."""
    return session.scalars(select(Survey).where(Survey.public.is_(True))
                           .order_by(Survey.updated_at.desc(), Survey.id.desc())).all()


def create_survey(session: Session, *, key: str, title: str, public: bool, now: datetime) -> Survey:
    """Add a survey with no version yet."""
    survey = Survey(key=key, title=title, public=public, created_at=now, updated_at=now)
    session.add(survey)
    session.flush()
    return survey


def get_latest_version(session: Session, *, survey_id: int) -> SurveyVersion | None:
    """The version new conversations use."""
    return session.scalar(select(SurveyVersion).where(SurveyVersion.survey_id == survey_id)
                          .order_by(SurveyVersion.number.desc()).limit(1))


def list_versions(session: Session, *, survey_id: int) -> Sequence[SurveyVersion]:
    """Every version of a survey, oldest first."""
    return session.scalars(select(SurveyVersion).where(SurveyVersion.survey_id == survey_id)
                           .order_by(SurveyVersion.number)).all()


def create_version(session: Session, *, survey: Survey, number: int, definition: dict[str, Any],
                   checksum: str, now: datetime) -> SurveyVersion:
    """Add a version of a survey's definition."""
    version = SurveyVersion(survey_id=survey.id, number=number, definition=definition, checksum=checksum,
                            created_at=now)
    session.add(version)
    session.flush()
    return version


def count_responses(session: Session, *, version_id: int) -> int:
    """How many conversations a version has had; a version with any is frozen."""
    return session.scalar(select(func.count()).select_from(SurveyResponse)
                          .where(SurveyResponse.version_id == version_id)) or 0


# built once: every message from a customer asks it
_ASKING = (select(SurveyResponse)
           .where(SurveyResponse.customer_id == bindparam("customer_id"), SurveyResponse.state == ResponseState.ASKING)
           .with_for_update())


def get_asking_response(session: Session, *, customer_id: int) -> SurveyResponse | None:
    """The customer's survey in progress, locked so two events of one customer take turns."""
    return session.scalar(_ASKING, {"customer_id": customer_id})


def mark_expired(session: Session, *, now: datetime) -> int:
    """Close every conversation whose time ran out; one UPDATE, so workers running it together do it once."""
    result = session.execute(update(SurveyResponse)
                             .where(SurveyResponse.state == ResponseState.ASKING, SurveyResponse.expires_at <= now)
                             .values(state=ResponseState.EXPIRED, updated_at=now)
                             .execution_options(synchronize_session=False))
    return result.rowcount


def get_latest_response(session: Session, *, customer_id: int) -> SurveyResponse | None:
    """The customer's most recent conversation in any state."""
    return session.scalar(select(SurveyResponse).where(SurveyResponse.customer_id == customer_id)
                          .order_by(SurveyResponse.id.desc()).limit(1))


def create_response(session: Session, *, version_id: int, customer_id: int, source: str, question_id: str,
                    now: datetime, expires_at: datetime, invitation_id: int | None = None) -> SurveyResponse | None:
    """Start a conversation; None when the customer already has one in progress (the unique index says so)."""
    response = SurveyResponse(version_id=version_id, customer_id=customer_id, invitation_id=invitation_id,
                              source=source, state=ResponseState.ASKING, current_question=question_id,
                              started_at=now, updated_at=now, expires_at=expires_at)
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError:
        return None
    return response


def has_completed(session: Session, *, customer_id: int, version_id: int, occasion: str | None = None) -> bool:
    """Whether the customer already finished this version; with an occasion, whether they finished the
    survey that occasion's invitation asked for, in any version of it (a re-import makes a new one)."""
    query = select(func.count()).select_from(SurveyResponse).where(
        SurveyResponse.customer_id == customer_id, SurveyResponse.state == ResponseState.COMPLETED)
    if occasion is None:
        query = query.where(SurveyResponse.version_id == version_id)
    else:
        this = aliased(SurveyVersion)
        survey = select(this.survey_id).where(this.id == version_id).scalar_subquery()
        query = (query.join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
                 .join(SurveyVersion, SurveyVersion.id == SurveyInvitation.version_id)
                 .where(SurveyInvitation.occasion == occasion, SurveyVersion.survey_id == survey))
    return session.scalar(query) > 0


def list_answers(session: Session, *, response_id: int) -> Sequence[SurveyAnswer]:
    """A conversation's answers, in the order given."""
    return session.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id == response_id)
                           .order_by(SurveyAnswer.id)).all()


def create_answer(session: Session, *, response_id: int, question_id: str, now: datetime,
                  number: int | None = None, choice: str | None = None, text: str | None = None,
                  sentiment: float | None = None, skipped: bool = False,
                  event_id: int | None = None) -> SurveyAnswer | None:
    """Record an answer; None when the question already has one (a double tap, two workers at once)."""
    answer = SurveyAnswer(response_id=response_id, question_id=question_id, number=number, choice=choice,
                          text=text, sentiment=sentiment, skipped=skipped, event_id=event_id, created_at=now)
    try:
        # the unique (response_id, question_id) index refuses the second of two simultaneous answers
        with session.begin_nested():
            session.add(answer)
    except IntegrityError:
        return None
    return answer


def get_invitation(session: Session, *, invitation_id: int) -> SurveyInvitation | None:
    """Find an invitation by id."""
    return session.get(SurveyInvitation, invitation_id)


def create_invitation(session: Session, *, version_id: int, customer_id: int, source: str,
                      now: datetime, occasion: str = "") -> SurveyInvitation | None:
    """Record an invitation; None when this customer was already invited to this version on this occasion."""
    invitation = SurveyInvitation(version_id=version_id, customer_id=customer_id, source=source,
                                  occasion=occasion, sent_at=now)
    try:
        with session.begin_nested():
            session.add(invitation)
    except IntegrityError:
        return None
    return invitation


def has_invitation(session: Session, *, customer_id: int, version_id: int, occasion: str | None = None) -> bool:
    """Whether the customer was already invited to this version (on this occasion, if named)."""
    query = select(func.count()).select_from(SurveyInvitation).where(
        SurveyInvitation.customer_id == customer_id, SurveyInvitation.version_id == version_id)
    if occasion is not None:
        query = query.where(SurveyInvitation.occasion == occasion)
    return session.scalar(query) > 0


def last_survey_contact(session: Session, *, customer_id: int) -> datetime | None:
    """When the customer was last invited to, or started, any survey."""
    invited = session.scalar(select(func.max(SurveyInvitation.sent_at))
                             .where(SurveyInvitation.customer_id == customer_id))
    started = session.scalar(select(func.max(SurveyResponse.started_at))
                             .where(SurveyResponse.customer_id == customer_id))
    moments = [m for m in (invited, started) if m is not None]
    return max(moments) if moments else None


def is_opted_out(session: Session, *, customer_id: int) -> bool:
    """Whether the customer asked for no survey invitations."""
    return session.get(SurveyOptOut, customer_id) is not None


def mark_opted_out(session: Session, *, customer_id: int, now: datetime) -> None:
    """Stop survey invitations to the customer."""
    if not is_opted_out(session, customer_id=customer_id):
        session.add(SurveyOptOut(customer_id=customer_id, created_at=now))
        session.flush()


def mark_opted_in(session: Session, *, customer_id: int) -> None:
    """Allow survey invitations to the customer again."""
    session.execute(delete(SurveyOptOut).where(SurveyOptOut.customer_id == customer_id))


def count_invitations(session: Session, *, survey_id: int) -> int:
    """How many invitations went out for any version of a survey."""
    return session.scalar(select(func.count()).select_from(SurveyInvitation).join(SurveyVersion)
                          .where(SurveyVersion.survey_id == survey_id)) or 0


def invitation_occasions(session: Session, *, survey_id: int) -> dict[int, str]:
    """The occasion of each follow-up invitation of a survey (ordinary invitations, with none, are left out)."""
    rows = session.execute(select(SurveyInvitation.id, SurveyInvitation.occasion).join(SurveyVersion)
                           .where(SurveyVersion.survey_id == survey_id, SurveyInvitation.occasion != ""))
    return {invitation_id: occasion for invitation_id, occasion in rows}


def list_responses(session: Session, *, survey_id: int) -> Sequence[tuple[SurveyResponse, SurveyVersion]]:
    """Every conversation of a survey with its version, oldest first."""
    query = (select(SurveyResponse, SurveyVersion).join(SurveyVersion)
             .where(SurveyVersion.survey_id == survey_id).order_by(SurveyResponse.id))
    return [(response, version) for response, version in session.execute(query)]


def list_survey_answers(session: Session, *, survey_id: int) -> Sequence[SurveyAnswer]:
    """Every answer to any version of a survey."""
    query = (select(SurveyAnswer).join(SurveyResponse).join(SurveyVersion)
             .where(SurveyVersion.survey_id == survey_id).order_by(SurveyAnswer.id))
    return session.scalars(query).all()
