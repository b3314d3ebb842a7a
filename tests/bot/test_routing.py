"""Routing: messages to the help menu, postbacks by action, polite answers to unknown buttons."""

from __future__ import annotations

import pytest

from bot import postback
from handlers.actions import Action
from handlers.replies import Postback
from handlers.routing import Router
from tests import factories
from tests.handlers.escalation_support import all_cases


def last_message(emulator, chat_id):
    return emulator.messages(chat_id)[-1]["message"]


def test_any_text_gets_the_menu_with_quick_replies(live_bot, services, emulator, customer_id):
    live_bot.send(factories.make_text_event(customer_id, "嗨", reply_token=emulator.issue_reply_token(customer_id)))
    message = last_message(emulator, customer_id)
    assert message["text"] == services.catalogue.text("menu.help.text")
    labels = [item["action"]["label"] for item in message["quickReply"]["items"]]
    assert labels == [services.catalogue.text(f"menu.{k}.label") for k in ("survey", "referral", "rewards", "help")]


def test_sticker_gets_the_menu(live_bot, services, emulator, customer_id):
    live_bot.send(factories.make_sticker_event(customer_id, reply_token=emulator.issue_reply_token(customer_id)))
    assert last_message(emulator, customer_id)["text"] == services.catalogue.text("menu.help.text")


def emoji(index: int) -> dict:
    """A LINE emoji placeholder of six UTF-16 units, '(love)', as the webhook lists it."""
    return {"index": index, "length": 6, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}


def test_line_emoji_alone_get_the_menu_and_open_no_case(live_bot, services, emulator, customer_id):
    """'(love)(love)' read as words scored 0.74 and paged staff; LINE marks them as emoji in message.emojis."""
    event = factories.make_text_event(customer_id, "🙏(love)(love)", emojis=[emoji(2), emoji(8)],
                                      reply_token=emulator.issue_reply_token(customer_id))
    live_bot.send(event)
    assert last_message(emulator, customer_id)["text"] == services.catalogue.text("menu.help.text")
    assert all_cases(services) == []


def test_a_complaint_around_line_emoji_is_still_one(live_bot, services, emulator, customer_id):
    text = "(love)等了一個小時還沒送到，我要退款(love)"
    live_bot.send(factories.make_text_event(customer_id, text, emojis=[emoji(0), emoji(len(text) - 6)],
                                            reply_token=emulator.issue_reply_token(customer_id)))
    [case] = all_cases(services)
    assert case.score >= 0.55


def test_help_postback_routes_by_action(live_bot, services, emulator, customer_id):
    data = postback.encode(Postback(Action.HELP))
    assert data == "action=help"
    live_bot.send(factories.make_postback_event(customer_id, data, reply_token=emulator.issue_reply_token(customer_id)))
    assert last_message(emulator, customer_id)["text"] == services.catalogue.text("menu.help.text")


def test_unknown_postback_gets_a_polite_answer(live_bot, services, emulator, customer_id):
    for data in ("action=no.such.thing&id=3", "garbage", ""):
        live_bot.send(factories.make_postback_event(customer_id, data,
                                                    reply_token=emulator.issue_reply_token(customer_id)))
        assert last_message(emulator, customer_id)["text"] == services.catalogue.text("postback.unknown")


def test_group_chatter_gets_no_menu(live_bot, emulator, customer_id):
    group = "C" + "1" * 32
    live_bot.send(factories.make_text_event(customer_id, "大家好", group_id=group,
                                            reply_token=emulator.issue_reply_token(group)))
    assert emulator.calls() == []


def test_postback_codec_round_trips_and_rejects_long_data():
    data = postback.encode(Postback(Action.HELP, {"q": "問題 1", "s": "a&b"}))
    assert postback.decode(data) == Postback(Action.HELP, {"q": "問題 1", "s": "a&b"})
    assert postback.decode("action=unknown") is None
    with pytest.raises(postback.PostbackTooLong):
        postback.encode(Postback(Action.HELP, {"x": "y" * 400}))


def test_a_second_handler_for_an_event_type_or_action_is_refused():
    """Two modules claiming one event type would silently leave the first one deaf."""
    router = Router()
    router.on_event("follow", lambda ctx, event: [])
    with pytest.raises(ValueError, match="follow events already have a handler"):
        router.on_event("follow", lambda ctx, event: [])
    router.on_postback(Action.HELP, lambda ctx, event: [])
    with pytest.raises(ValueError, match="already has a handler"):
        router.on_postback(Action.HELP, lambda ctx, event: [])
