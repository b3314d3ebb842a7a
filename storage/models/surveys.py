"""Surveys: definitions and their versions, conversations in progress, answers, invitations, opt-outs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigIntId, created_at, intpk


class ResponseState(StrEnum):
    """Where a survey conversation is: only ASKING accepts answers, the others are final."""

    ASKING = "asking"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class EntrySource(StrEnum):
    """How a survey reached the customer."""

    KEYWORD = "keyword"
    POSTBACK = "postback"
    BROADCAST = "broadcast"
    TRIGGER = "trigger"


class Survey(Base):
    """A survey known by its short key; its questions live in versions."""

    __tablename__ = "surveys"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime]


class SurveyVersion(Base):
    """One version of a survey's definition; answers point here, so editing never rewrites history."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[intpk]
    survey_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("surveys.id"))
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]]
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]


class SurveyResponse(Base):
    """One customer's pass through a survey version: the persisted state of the conversation."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        # one survey in progress per customer, enforced by the database on every backend
        Index("uq_survey_responses_one_asking", "customer_id", unique=True,
              sqlite_where=text("state = 'asking'"), postgresql_where=text("state = 'asking'")),
        Index("ix_survey_responses_version_state", "version_id", "state"),
    )

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("survey_versions.id"))
    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"))
    invitation_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("survey_invitations.id"))
    source: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=ResponseState.ASKING)
    current_question: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class SurveyAnswer(Base):
    """The answer to one question of one response; the unique pair makes a double tap count once."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[intpk]
    response_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("survey_responses.id"))
    question_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int | None] = mapped_column(Integer)
    choice: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    sentiment: Mapped[float | None] = mapped_column(Float)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    event_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("webhook_events.id"))
    created_at: Mapped[created_at]


class SurveyInvitation(Base):
    """An invitation pushed to a customer; unique per version and occasion so nobody is asked the same thing twice.

    ``occasion`` is empty for an ordinary invitation (one per version) and names what a follow-up
    follows (``case:12``), so a customer who complains again is asked again about the new case.
    """

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("customer_id", "version_id", "occasion",
                         name="uq_survey_invitations_customer_version_occasion"),
        Index("ix_survey_invitations_customer_sent", "customer_id", "sent_at"),
    )

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("survey_versions.id"))
    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"))
    source: Mapped[str] = mapped_column(String(16))
    occasion: Mapped[str] = mapped_column(String(32), default="", server_default="")
    sent_at: Mapped[datetime]


class SurveyOptOut(Base):
    """A customer who said 不要問卷: no survey invitations until they take it back."""

    __tablename__ = "survey_opt_outs"

    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"), primary_key=True)
    created_at: Mapped[created_at]
