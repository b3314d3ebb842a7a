"""Ways into a survey: the customer starts one, or is invited by push within the fatigue rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from handlers.context import HandlerContext
from handlers.replies import Notify, Outgoing, Text
from handlers.surveys import engine, messages
from handlers.surveys.messages import Voice
from handlers.surveys.questions import SurveyDefinition
from storage import customers, segments, surveys
from storage.models import Customer, EntrySource, Survey, SurveyInvitation


class Refusal(StrEnum):
    """Why an invitation was not sent."""

    NO_SURVEY = "no_survey"
    UNFOLLOWED = "unfollowed"
    OPTED_OUT = "opted_out"
    ALREADY_ANSWERED = "already_answered"
    ALREADY_INVITED = "already_invited"
    IN_PROGRESS = "in_progress"
    TOO_SOON = "too_soon"


@dataclass(frozen=True)
class Invite:
    """The outcome of inviting one customer: the push to send, or why there is none."""

    outgoing: list[Outgoing] = field(default_factory=list)
    refused: Refusal | None = None
    invitation: SurveyInvitation | None = None


def start_survey(ctx: HandlerContext, *, customer: Customer, survey_key: str | None, source: EntrySource,
                 invitation_id: int | None = None) -> list[Outgoing]:
    """Start a survey with the customer who is writing, or invite by push a customer who is not.

    The sender (keyword, menu, invitation button) gets the first question in the reply to their own
    event, which is free. Anyone else (another module's trigger, a broadcast) gets an invitation card
    by push, within the opt-out and fatigue rules; the answer is then [] when none is due.
    """
    if ctx.customer is None or ctx.customer.id != customer.id:
        return invite(ctx, customer=customer, survey_key=survey_key or "", source=source).outgoing
    return _begin(ctx, customer, survey_key, source, invitation_id)


def _default_survey(ctx: HandlerContext, customer: Customer) -> Survey | None:
    """The newest public survey the customer has not finished (or the newest one, to say it is done)."""
    public = surveys.list_public(ctx.session)
    for survey in public:
        version = surveys.get_latest_version(ctx.session, survey_id=survey.id)
        if version and not surveys.has_completed(ctx.session, customer_id=customer.id, version_id=version.id):
            return survey
    return public[0] if public else None


def _begin(ctx: HandlerContext, customer: Customer, survey_key: str | None, source: EntrySource,
           invitation_id: int | None) -> list[Outgoing]:
    voice = Voice(ctx.catalogue, customer)
    conversation = engine.current(ctx)
    if conversation is not None:
        if survey_key in (None, conversation.survey.key):
            return [conversation.ask(lead=voice.t("survey.already_active"))]
        title = voice.title(conversation.definition)
        return [conversation.ask(lead=voice.t("survey.other_in_progress", title=title))]
    survey = surveys.get_by_key(ctx.session, key=survey_key) if survey_key else _default_survey(ctx, customer)
    version = surveys.get_latest_version(ctx.session, survey_id=survey.id) if survey else None
    if version is None:
        return [Text(voice.t("survey.none_available"))]
    invitation = surveys.get_invitation(ctx.session, invitation_id=invitation_id) if invitation_id else None
    if invitation is not None and invitation.customer_id != customer.id:
        invitation = None
    # a follow-up's card asks about its own occasion, whatever the customer answered before
    occasion = invitation.occasion if invitation is not None and invitation.occasion else None
    if surveys.has_completed(ctx.session, customer_id=customer.id, version_id=version.id, occasion=occasion):
        return [Text(voice.t("survey.already_done"))]
    definition = SurveyDefinition.from_json(version.definition)
    first = definition.next_question({})
    response = surveys.create_response(
        ctx.session, version_id=version.id, customer_id=customer.id, source=invitation.source if invitation else source,
        question_id=first.id, now=ctx.now, expires_at=ctx.now + engine.options(ctx).expiry,
        invitation_id=invitation.id if invitation else None)
    if response is None:
        # a simultaneous start of this customer's got there first: continue that one
        engine.forget_asking(ctx, customer)
        return engine.reminder(ctx) or [Text(voice.t("survey.none_available"))]
    engine.remember_asking(ctx, customer, response)
    lead = voice.t("survey.started", title=voice.title(definition),
                   intro=voice.local(definition.intro, "survey.default_intro"))
    return [messages.ask(voice, response.id, first, 1, lead)]


def invite(ctx: HandlerContext, *, customer: Customer, survey_key: str, source: EntrySource,
           follow_up: str = "", about: str | None = None) -> Invite:
    """Push an invitation card unless the customer opted out, answered, was invited, or heard from us lately.

    A ``follow_up`` names what it follows (``case:12``: the service-recovery survey after the
    customer's own complaint). It is no unasked-for survey: the interval between surveys does not
    hold it back, and answering or being invited on another occasion does not either (a customer
    who complains again is asked about the new case); consent and the other rules do. ``about`` is
    a line for the card saying what it follows, in the customer's language.
    """
    survey = surveys.get_by_key(ctx.session, key=survey_key)
    version = surveys.get_latest_version(ctx.session, survey_id=survey.id) if survey else None
    if version is None:
        return Invite(refused=Refusal.NO_SURVEY)
    refused = _refusal(ctx, customer, version.id, follow_up=follow_up)
    if refused is not None:
        return Invite(refused=refused)
    invitation = surveys.create_invitation(ctx.session, version_id=version.id, customer_id=customer.id,
                                           source=source, now=ctx.now, occasion=follow_up)
    if invitation is None:
        return Invite(refused=Refusal.ALREADY_INVITED)
    card = messages.invitation(Voice(ctx.catalogue, customer), key=survey.key,
                               definition=SurveyDefinition.from_json(version.definition), invitation_id=invitation.id,
                               about=about)
    return Invite([Notify(to=customer.line_user_id, messages=(card,), customer_id=customer.id)], None, invitation)


def _refusal(ctx: HandlerContext, customer: Customer, version_id: int, *, follow_up: str = "") -> Refusal | None:
    """The first fatigue or consent rule that forbids inviting this customer now."""
    session = ctx.session
    occasion = follow_up or None  # an ordinary invitation counts every earlier one of the version
    if not customers.can_push(customer):
        return Refusal.UNFOLLOWED
    if surveys.is_opted_out(session, customer_id=customer.id):
        return Refusal.OPTED_OUT
    if surveys.has_completed(session, customer_id=customer.id, version_id=version_id, occasion=occasion):
        return Refusal.ALREADY_ANSWERED
    if surveys.has_invitation(session, customer_id=customer.id, version_id=version_id, occasion=occasion) \
            or (not follow_up and segments.awaits_broadcast(session, customer_id=customer.id, version_id=version_id)):
        return Refusal.ALREADY_INVITED  # a broadcast records its invitations only once LINE has the batch
    if engine.asking_response(ctx, customer) is not None:
        return Refusal.IN_PROGRESS
    last = None if follow_up else surveys.last_survey_contact(session, customer_id=customer.id)
    if last is not None and ctx.now - last < engine.options(ctx).interval:
        return Refusal.TOO_SOON
    return None


def opt_out(ctx: HandlerContext) -> list[Outgoing]:
    """不要問卷: no more invitations, and the survey in progress (if any) ends."""
    surveys.mark_opted_out(ctx.session, customer_id=ctx.customer.id, now=ctx.now)
    response = engine.asking_response(ctx, ctx.customer)
    if response is not None:
        engine.close(ctx, response)
    voice = Voice(ctx.catalogue, ctx.customer)
    return [Text(voice.t("survey.opted_out"), quick_replies=(messages.opt_in_button(voice),))]


def opt_in(ctx: HandlerContext) -> list[Outgoing]:
    """Take back an opt-out."""
    surveys.mark_opted_in(ctx.session, customer_id=ctx.customer.id)
    return [Text(ctx.t("survey.opted_in"))]
