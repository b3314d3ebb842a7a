"""What a survey says: each question with its buttons, the invitation card, and the survey's own texts."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.actions import Action
from handlers.catalogue import Catalogue, Translator
from handlers.replies import Button, Card, Outgoing, Postback, Text
from handlers.surveys.questions import MAX_OPTIONS, Question, QuestionKind, SurveyDefinition, localized
from storage.models import Customer

SURVEY_ACTIONS = frozenset({Action.SURVEY_ANSWER, Action.SURVEY_SKIP, Action.SURVEY_CANCEL, Action.SURVEY_START,
                            Action.SURVEY_RESUME})


class Voice:
    """Speaks to one customer: catalogue texts and survey wording in the customer's language."""

    def __init__(self, catalogue: Catalogue, customer: Customer | None) -> None:
        self.t: Translator = catalogue.translator(customer.language if customer else None)
        self.language = self.t.language

    def local(self, text: dict[str, str] | None, default_key: str) -> str:
        """A survey's own wording, or the catalogue's default when the file has none."""
        return localized(text, self.language) if text else self.t(default_key)

    def title(self, definition: SurveyDefinition) -> str:
        """The survey's title."""
        return localized(definition.title, self.language)


def _hint(t: Translator, question: Question) -> str:
    if question.kind == QuestionKind.TEXT and not question.required:
        return t("survey.hint.text_optional")
    return t(f"survey.hint.{question.kind}")


def _buttons(voice: Voice, response_id: int, question: Question) -> tuple[Button, ...]:
    t = voice.t
    ids = {"r": str(response_id), "q": question.id}
    buttons: list[Button] = []
    if question.scale is not None:
        low, high = question.scale
        buttons += [Button(str(n), postback=Postback(Action.SURVEY_ANSWER, {**ids, "v": str(n)}),
                           display_text=str(n)) for n in range(low, high + 1)]
    for position, option in enumerate(question.options, start=1):
        label = localized(option.label, voice.language)
        buttons.append(Button(label, postback=Postback(Action.SURVEY_ANSWER, {**ids, "v": str(position)}),
                              display_text=label))
    if not question.required:
        buttons.append(Button(t("survey.button.skip"), postback=Postback(Action.SURVEY_SKIP, ids),
                              display_text=t("survey.button.skip")))
    buttons.append(Button(t("survey.button.cancel"), postback=Postback(Action.SURVEY_CANCEL, {"r": ids["r"]}),
                          display_text=t("survey.button.cancel")))
    # LINE shows 13 quick replies at most; "skip" and "stop" can always be typed
    return tuple(buttons[:MAX_OPTIONS])


def ask(voice: Voice, response_id: int, question: Question, number: int, lead: str | None = None) -> Text:
    """The question, numbered, with a hint and its buttons; an optional lead line goes above it."""
    body = voice.t("survey.question", number=number, text=localized(question.text, voice.language),
                   hint=_hint(voice.t, question))
    return Text(f"{lead}\n\n{body}" if lead else body, quick_replies=_buttons(voice, response_id, question))


def invalid(voice: Voice, question: Question) -> str:
    """What the question accepts, said kindly."""
    return voice.t(f"survey.invalid.{question.kind}", count=len(question.options))


def invitation(voice: Voice, *, key: str, definition: SurveyDefinition, invitation_id: int,
               about: str | None = None) -> Card:
    """The invitation pushed to a customer: a card whose buttons stay usable in the chat history.

    ``about`` says what a follow-up follows (which case), so two cards waiting in one chat differ.
    """
    title = voice.title(definition)
    start = Postback(Action.SURVEY_START, {"k": key, "i": str(invitation_id)})
    intro = voice.local(definition.intro, "survey.default_intro")
    return Card(alt_text=voice.t("survey.invitation.alt", title=title), title=f"📝 {title}",
                lines=(intro, *((about,) if about else ()), voice.t("survey.invitation.note")),
                buttons=(Button(voice.t("survey.button.start"), postback=start,
                                display_text=voice.t("survey.button.start")),
                         Button(voice.t("survey.button.opt_out"), postback=Postback(Action.SURVEY_OPT_OUT),
                                display_text=voice.t("survey.button.opt_out"))))


def opt_in_button(voice: Voice) -> Button:
    """The button that takes back an opt-out."""
    label = voice.t("survey.button.opt_in")
    return Button(label, postback=Postback(Action.SURVEY_OPT_IN), display_text=label)


def shows_survey_buttons(messages: Sequence[Outgoing]) -> bool:
    """Whether an answer already carries survey buttons (so nobody needs to ask the question again)."""
    return any(isinstance(m, Text) and any(b.postback is not None and b.postback.action in SURVEY_ACTIONS
                                           for b in m.quick_replies) for m in messages)
