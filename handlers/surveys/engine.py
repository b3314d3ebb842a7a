"""The survey conversation as an explicit state machine whose state lives in survey_responses.

A turn (an answer, a skip, a cancel, a resume) is applied to the customer's one conversation in
state ASKING; the table STATES says which step handles it. Final states take no input, so a button
aimed at a finished conversation, or at an earlier question, is answered as stale and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from handlers import sentiment
from handlers.context import HandlerContext
from handlers.errors import InvalidAnswer
from handlers.referrals import QualifyReason, qualify_referral
from handlers.replies import Outgoing, Text
from handlers.surveys import messages
from handlers.surveys.answers import NotAnAnswer, Parsed, parse_button, parse_typed
from handlers.surveys.messages import Voice
from handlers.surveys.questions import AnswerValue, Question, QuestionKind, SurveyDefinition
from storage import surveys
from storage.models import Customer, ResponseState, Survey, SurveyAnswer, SurveyResponse, SurveyVersion


@dataclass(frozen=True)
class SurveyOptions:
    """Tunable rules, from KOUBEI_SURVEY_* settings."""

    expiry: timedelta = timedelta(hours=24)
    interval: timedelta = timedelta(days=14)
    negative_below: float = 0.5

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> SurveyOptions:
        """Read KOUBEI_SURVEY_EXPIRY_HOURS, KOUBEI_SURVEY_INTERVAL_DAYS and KOUBEI_SURVEY_NEGATIVE_BELOW."""
        return cls(expiry=timedelta(hours=float(options.get("KOUBEI_SURVEY_EXPIRY_HOURS", 24))),
                   interval=timedelta(days=float(options.get("KOUBEI_SURVEY_INTERVAL_DAYS", 14))),
                   negative_below=float(options.get("KOUBEI_SURVEY_NEGATIVE_BELOW", 0.5)))


class Input(StrEnum):
    """What a customer can do to a survey in progress."""

    ANSWER = "answer"
    SKIP = "skip"
    CANCEL = "cancel"
    RESUME = "resume"


@dataclass(frozen=True)
class Turn:
    """One customer action; buttons also say which conversation and question they belong to."""

    input: Input
    value: str | None = None
    typed: bool = False
    response_id: int | None = None
    question_id: str | None = None
    event_id: int | None = None


@dataclass
class Conversation:
    """A response row with what it needs to continue: its survey, definition and answers so far."""

    response: SurveyResponse
    survey: Survey
    definition: SurveyDefinition
    voice: Voice
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    answered: int = 0

    @property
    def question(self) -> Question:
        """The question waiting for an answer."""
        return self.definition.question(self.response.current_question)

    def ask(self, lead: str | None = None) -> Text:
        """The current question with its buttons, numbered by how many came before."""
        return messages.ask(self.voice, self.response.id, self.question, self.answered + 1, lead)


Step = Callable[[HandlerContext, Conversation, Turn], list[Outgoing] | None]
CompletionHook = Callable[[HandlerContext, Customer, SurveyResponse, Mapping[str, SurveyAnswer]], list[Outgoing]]
AnswerHook = Callable[[HandlerContext, Customer, SurveyAnswer], list[Outgoing]]
_completion_hooks: dict[str, dict[str, CompletionHook]] = {}
_free_text_hooks: dict[str, AnswerHook] = {}


def _name(hook: Callable) -> str:
    # registering the same function again (one router per app) replaces it rather than doubling it
    return f"{hook.__module__}.{hook.__qualname__}"


def on_completed(survey_key: str, hook: CompletionHook) -> None:
    """Run ``hook`` when a customer finishes the survey; its messages follow the thanks in the same reply."""
    _completion_hooks.setdefault(survey_key, {})[_name(hook)] = hook


def on_free_text(hook: AnswerHook) -> None:
    """Run ``hook`` on every free-text answer of any survey; its messages come before the next question."""
    _free_text_hooks[_name(hook)] = hook


def score_free_text(text: str) -> float:
    """Score a free-text answer with the scorer complaint detection uses (0 negative … 1 positive)."""
    return sentiment.score(text)


def options(ctx: HandlerContext) -> SurveyOptions:
    """The survey rules for this app."""
    return SurveyOptions.from_options(ctx.options)


def _asking_key(customer: Customer) -> tuple[str, int]:
    return ("survey.asking", customer.id)


def remember_asking(ctx: HandlerContext, customer: Customer, response: SurveyResponse | None) -> None:
    """Note the customer's conversation in progress for the rest of this event (several handlers ask)."""
    ctx.memo[_asking_key(customer)] = response


def forget_asking(ctx: HandlerContext, customer: Customer) -> None:
    """Look the conversation up again next time: another event may have started one."""
    ctx.memo.pop(_asking_key(customer), None)


def asking_response(ctx: HandlerContext, customer: Customer) -> SurveyResponse | None:
    """The customer's conversation in progress, closing it first if it has run out of time."""
    key = _asking_key(customer)
    if key in ctx.memo:
        response = ctx.memo[key]
    else:
        response = surveys.get_asking_response(ctx.session, customer_id=customer.id)
        remember_asking(ctx, customer, response)
    if response is not None and response.state != ResponseState.ASKING:
        return None
    if response is not None and response.expires_at <= ctx.now:
        response.state = ResponseState.EXPIRED
        response.updated_at = ctx.now
        ctx.session.flush()
        return None
    return response


def load(ctx: HandlerContext, response: SurveyResponse, customer: Customer) -> Conversation:
    """Everything needed to continue a conversation."""
    version = ctx.session.get(SurveyVersion, response.version_id)
    survey = ctx.session.get(Survey, version.survey_id)
    conversation = Conversation(response, survey, SurveyDefinition.from_json(version.definition),
                                Voice(ctx.catalogue, customer))
    for answer in surveys.list_answers(ctx.session, response_id=response.id):
        conversation.answered += 1
        value = answer.number if answer.number is not None else answer.choice
        if value is not None:
            conversation.answers[answer.question_id] = value
    return conversation


def current(ctx: HandlerContext) -> Conversation | None:
    """The sender's survey in progress, if any."""
    if ctx.customer is None:
        return None
    response = asking_response(ctx, ctx.customer)
    return load(ctx, response, ctx.customer) if response else None


def take_turn(ctx: HandlerContext, turn: Turn) -> list[Outgoing] | None:
    """Apply one action to the sender's survey; None when a typed message is not for the survey."""
    conversation = current(ctx)
    if turn.response_id is not None and (conversation is None or conversation.response.id != turn.response_id
                                         or turn.question_id not in (None, conversation.response.current_question)):
        return stale(ctx, conversation, turn)
    if conversation is None:
        return None
    step = STATES[ResponseState(conversation.response.state)].get(turn.input)
    return step(ctx, conversation, turn) if step else stale(ctx, conversation, turn)


def stale(ctx: HandlerContext, conversation: Conversation | None, turn: Turn) -> list[Outgoing]:
    """A button from an earlier question or another survey: say so kindly and show where we are."""
    voice = conversation.voice if conversation else Voice(ctx.catalogue, ctx.customer)
    old = ctx.session.get(SurveyResponse, turn.response_id) if turn.response_id else None
    key = "survey.stale"
    if old is not None and old.customer_id == ctx.customer.id and (conversation is None
                                                                   or old.id != conversation.response.id):
        key = {ResponseState.COMPLETED: "survey.stale_completed",
               ResponseState.EXPIRED: "survey.expired"}.get(ResponseState(old.state), key)
    if conversation is not None:
        return [conversation.ask(lead=voice.t(key))]
    return [Text(voice.t(key))]


def _answer(ctx: HandlerContext, conversation: Conversation, turn: Turn) -> list[Outgoing] | None:
    question = conversation.question
    try:
        parsed = parse_typed(question, turn.value or "") if turn.typed else parse_button(question, turn.value or "")
    except InvalidAnswer:
        return [conversation.ask(lead=messages.invalid(conversation.voice, question))]
    except NotAnAnswer:
        return None
    return _record(ctx, conversation, turn, parsed)


def _skip(ctx: HandlerContext, conversation: Conversation, turn: Turn) -> list[Outgoing]:
    question = conversation.question
    if question.required:
        lead = conversation.voice.t("survey.invalid.required") if question.kind == QuestionKind.TEXT \
            else messages.invalid(conversation.voice, question)
        return [conversation.ask(lead=lead)]
    return _record(ctx, conversation, turn, None)


def _record(ctx: HandlerContext, conversation: Conversation, turn: Turn, parsed: Parsed | None) -> list[Outgoing]:
    question = conversation.question
    score = score_free_text(parsed.text) if parsed and parsed.text else None
    answer = surveys.create_answer(
        ctx.session, response_id=conversation.response.id, question_id=question.id, now=ctx.now,
        number=parsed.number if parsed else None, choice=parsed.choice if parsed else None,
        text=parsed.text if parsed else None, sentiment=score, skipped=parsed is None, event_id=turn.event_id)
    if answer is None:
        # another event answered this question a moment ago: keep that answer
        return stale(ctx, conversation, turn)
    conversation.answered += 1
    if parsed is not None and parsed.value is not None:
        conversation.answers[question.id] = parsed.value
    said: list[Outgoing] = []
    if answer.text:
        for hook in _free_text_hooks.values():
            said += hook(ctx, ctx.customer, answer)
    return said + _advance(ctx, conversation, question)


def _advance(ctx: HandlerContext, conversation: Conversation, answered: Question) -> list[Outgoing]:
    response = conversation.response
    response.updated_at = ctx.now
    following = conversation.definition.next_question(conversation.answers, after=answered.id)
    if following is None:
        return _complete(ctx, conversation)
    response.current_question = following.id
    response.expires_at = ctx.now + options(ctx).expiry
    return [conversation.ask()]


def _complete(ctx: HandlerContext, conversation: Conversation) -> list[Outgoing]:
    response = conversation.response
    response.state = ResponseState.COMPLETED
    response.completed_at = ctx.now
    response.current_question = None
    ctx.session.flush()
    reply: list[Outgoing] = [Text(conversation.voice.local(conversation.definition.thanks, "survey.default_thanks"))]
    customer = ctx.session.get(Customer, response.customer_id)
    hooks = _completion_hooks.get(conversation.survey.key, {})
    if hooks:
        answers = {a.question_id: a for a in surveys.list_answers(ctx.session, response_id=response.id)}
        for hook in hooks.values():
            reply += hook(ctx, customer, response, answers)
    # a campaign may count a finished survey as what qualifies the referral that brought this customer
    qualification = qualify_referral(ctx.session, customer=customer, now=ctx.now,
                                     reason=QualifyReason.SURVEY_COMPLETED)
    return reply + qualification.notifications(ctx.catalogue, ctx.zone)


def _cancel(ctx: HandlerContext, conversation: Conversation, turn: Turn) -> list[Outgoing]:
    close(ctx, conversation.response)
    return [Text(conversation.voice.t("survey.cancelled"))]


def _resume(ctx: HandlerContext, conversation: Conversation, turn: Turn) -> list[Outgoing]:
    return [conversation.ask(lead=conversation.voice.t("survey.resumed"))]


def close(ctx: HandlerContext, response: SurveyResponse) -> None:
    """End a conversation the customer stopped."""
    response.state = ResponseState.CANCELLED
    response.cancelled_at = ctx.now
    response.updated_at = ctx.now


STATES: dict[ResponseState, dict[Input, Step]] = {
    ResponseState.ASKING: {Input.ANSWER: _answer, Input.SKIP: _skip, Input.CANCEL: _cancel, Input.RESUME: _resume},
    # final states take no input: anything aimed at them is stale
    ResponseState.COMPLETED: {},
    ResponseState.CANCELLED: {},
    ResponseState.EXPIRED: {},
}


def reminder(ctx: HandlerContext) -> list[Outgoing] | None:
    """The pending question again, for a message that was not an answer; None with no survey open."""
    conversation = current(ctx)
    return [conversation.ask(lead=conversation.voice.t("survey.reminder"))] if conversation else None


def explain_no_resume(ctx: HandlerContext) -> list[Outgoing]:
    """Answer 繼續問卷 when nothing is open: it timed out, or there never was one."""
    latest = surveys.get_latest_response(ctx.session, customer_id=ctx.customer.id)
    expired = latest is not None and latest.state == ResponseState.EXPIRED
    return [Text(ctx.t("survey.expired" if expired else "survey.nothing_to_resume"))]

