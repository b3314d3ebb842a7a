"""The broadcast invitation: one card for a whole batch, whose button starts the survey with one tap."""

from __future__ import annotations

from handlers.actions import Action
from handlers.catalogue import Translator
from handlers.context import HandlerContext
from handlers.events import InboundEvent
from handlers.replies import Button, Card, Outgoing, Postback
from handlers.surveys import EntrySource, start_survey
from handlers.surveys.questions import SurveyDefinition, localized
from storage import broadcasts


def invitation_card(t: Translator, *, key: str, definition: SurveyDefinition, broadcast_id: int) -> Card:
    """The card a multicast carries: the same for every recipient of a language, so no per-person data."""
    title = localized(definition.title, t.language)
    intro = localized(definition.intro, t.language) if definition.intro else t("survey.default_intro")
    start, opt_out = t("survey.button.start"), t("survey.button.opt_out")
    return Card(alt_text=t("survey.invitation.alt", title=title), title=t("broadcast.invitation.title", title=title),
                lines=(intro, t("broadcast.invitation.note")),
                buttons=(Button(start, postback=Postback(Action.BROADCAST_START, {"b": str(broadcast_id), "k": key}),
                                display_text=start),
                         Button(opt_out, postback=Postback(Action.SURVEY_OPT_OUT), display_text=opt_out)))


def on_start(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """開始填寫 on a broadcast card: the first question comes back in the reply, which is free."""
    if ctx.customer is None or event.is_group:
        return []
    params = event.postback.params
    broadcast = broadcasts.get_broadcast(ctx.session, broadcast_id=int(params["b"])) \
        if params.get("b", "").isdigit() else None
    invitation = broadcasts.get_invitation(ctx.session, customer_id=ctx.customer.id, version_id=broadcast.version_id) \
        if broadcast is not None and broadcast.version_id else None
    return start_survey(ctx, customer=ctx.customer, survey_key=params.get("k") or None, source=EntrySource.BROADCAST,
                        invitation_id=invitation.id if invitation else None)
