"""Feedback surveys in the chat: routes events to the survey state machine and exposes its entry points.

Other modules start a survey with ``start_survey(ctx, customer=..., survey_key=..., source=EntrySource.TRIGGER)``
(or ``invite``), learn its outcome with ``on_completed(survey_key, hook)`` and read free-text answers
as they arrive with ``on_free_text(hook)``.
"""

from __future__ import annotations

from handlers.actions import Action
from handlers.context import HandlerContext
from handlers.events import InboundEvent
from handlers.jobs import JobContext
from handlers.replies import Notify, Outgoing
from handlers.routing import Router
from handlers.surveys import engine, entry
from handlers.surveys.commands import Command, is_other_keyword, match_command
from handlers.surveys.engine import Input, Turn, on_completed, on_free_text, score_free_text
from handlers.surveys.entry import Invite, Refusal, invite, start_survey
from handlers.surveys.messages import shows_survey_buttons
from handlers.surveys.questions import QuestionKind
from storage.models import EntrySource, SurveyInvitation
from storage.surveys import get_invitation, mark_expired

__all__ = ["EntrySource", "Invite", "Refusal", "invite", "on_completed", "on_free_text", "register",
           "score_free_text", "start_survey"]

IN_PROGRESS_PRIORITY = 30
KEYWORD_PRIORITY = 40
REMINDER_PRIORITY = 900
EXPIRY_JOB = "surveys.expire"
TYPED_INPUTS = {Command.CANCEL: Input.CANCEL, Command.RESUME: Input.RESUME,
                Command.SKIP: Input.SKIP}


def _customer_chat(ctx: HandlerContext, event: InboundEvent) -> bool:
    """Surveys happen in one-to-one chats with a known customer."""
    return ctx.customer is not None and not event.is_group


def on_message_in_survey(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """Treat a message as the answer to the open question, or as 取消 / 繼續問卷 / 略過."""
    if not _customer_chat(ctx, event) or event.text is None:
        return None
    command = match_command(ctx.catalogue, event.text)
    if command in TYPED_INPUTS:
        return engine.take_turn(ctx, Turn(TYPED_INPUTS[command], event_id=event.id))
    if command is not None:
        return None
    conversation = engine.current(ctx)
    if conversation is None:
        return None
    if conversation.question.kind == QuestionKind.TEXT and is_other_keyword(ctx.catalogue, event.text):
        return None
    return engine.take_turn(ctx, Turn(Input.ANSWER, value=event.text, typed=True, event_id=event.id))


def on_keyword(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """問卷 / 意見回饋 start a survey; 不要問卷 and 接受問卷 change consent; 繼續問卷 explains a timeout."""
    if not _customer_chat(ctx, event):
        return None
    command = match_command(ctx.catalogue, event.text)
    if command == Command.START:
        return start_survey(ctx, customer=ctx.customer, survey_key=None, source=EntrySource.KEYWORD)
    if command == Command.RESUME:
        return engine.explain_no_resume(ctx)
    if command == Command.OPT_OUT:
        return entry.opt_out(ctx)
    if command == Command.OPT_IN:
        return entry.opt_in(ctx)
    return None


def on_unclaimed_message(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """Nobody understood the message and a survey is open: ask its question again instead of the menu."""
    return engine.reminder(ctx) if _customer_chat(ctx, event) else None


def after_message(ctx: HandlerContext, event: InboundEvent, answer: list[Outgoing]) -> list[Outgoing]:
    """Another feature answered mid-survey: put the open question (and its buttons) back at the bottom."""
    # five messages fill one reply; a sixth would cost a push (pushes to others, staff cards, do not count)
    replies = [item for item in answer if not isinstance(item, Notify)]
    if not _customer_chat(ctx, event) or shows_survey_buttons(answer) or len(replies) >= 5:
        return []
    return engine.reminder(ctx) or []


def _turn(event: InboundEvent, kind: Input) -> Turn:
    params = event.postback.params
    response_id = params.get("r", "")
    return Turn(kind, value=params.get("v"), response_id=int(response_id) if response_id.isdigit() else -1,
                question_id=params.get("q"), event_id=event.id)


def _button(ctx: HandlerContext, event: InboundEvent, kind: Input) -> list[Outgoing]:
    """A survey button, checked against the open question before it changes anything."""
    if not _customer_chat(ctx, event):
        return []
    return engine.take_turn(ctx, _turn(event, kind)) or []


def on_answer(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """A score or option button."""
    return _button(ctx, event, Input.ANSWER)


def on_skip(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """The 略過 button of an optional question."""
    return _button(ctx, event, Input.SKIP)


def on_cancel(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """The 結束問卷 button."""
    return _button(ctx, event, Input.CANCEL)


def on_start(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """A menu or invitation button: start the survey it names."""
    if not _customer_chat(ctx, event):
        return []
    params = event.postback.params
    invitation_id = int(params["i"]) if params.get("i", "").isdigit() else None
    invitation: SurveyInvitation | None = get_invitation(ctx.session, invitation_id=invitation_id) \
        if invitation_id else None
    source = EntrySource(invitation.source) if invitation else EntrySource.POSTBACK
    return start_survey(ctx, customer=ctx.customer, survey_key=params.get("k") or None, source=source,
                        invitation_id=invitation_id)


def on_resume(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """The 繼續問卷 button."""
    if not _customer_chat(ctx, event):
        return []
    return engine.take_turn(ctx, Turn(Input.RESUME, event_id=event.id)) or engine.explain_no_resume(ctx)


def on_opt_out(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """The 不要再邀請我 button."""
    return entry.opt_out(ctx) if _customer_chat(ctx, event) else []


def on_opt_in(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """The 恢復問卷邀請 button."""
    return entry.opt_in(ctx) if _customer_chat(ctx, event) else []


def expire_due(job: JobContext) -> list[Notify]:
    """Close conversations nobody answered in time, so reports and exports show them as expired."""
    mark_expired(job.session, now=job.now)
    return []


def register(router: Router) -> None:
    """Attach the survey handlers: answers first, keywords next, the reminder before the menu."""
    router.on_message(IN_PROGRESS_PRIORITY, on_message_in_survey)
    router.on_message(KEYWORD_PRIORITY, on_keyword)
    router.on_message(REMINDER_PRIORITY, on_unclaimed_message)
    router.after_message(after_message)
    router.on_postback(Action.SURVEY_START, on_start)
    router.on_postback(Action.SURVEY_ANSWER, on_answer)
    router.on_postback(Action.SURVEY_SKIP, on_skip)
    router.on_postback(Action.SURVEY_CANCEL, on_cancel)
    router.on_postback(Action.SURVEY_RESUME, on_resume)
    router.on_postback(Action.SURVEY_OPT_OUT, on_opt_out)
    router.on_postback(Action.SURVEY_OPT_IN, on_opt_in)
    router.every(15, EXPIRY_JOB, expire_due)
