"""Follow, unfollow and first contact: customers are created, revived and protected from pushes."""

from __future__ import annotations

from storage import customers
from storage.models import FollowStatus
from tests import factories


def get_customer(services, line_user_id):
    with services.db.session_scope() as session:
        return customers.get_by_line_id(session, line_user_id=line_user_id)


def texts_sent(emulator, chat_id):
    return [m["message"].get("text") for m in emulator.messages(chat_id)]


def test_follow_creates_customer_from_profile_and_welcomes(live_bot, services, emulator, customer_id):
    emulator.add_user(customer_id, "王小明", language="zh-TW", picture_url="https://example.test/p.png")
    token = emulator.issue_reply_token(customer_id)
    assert live_bot.send(factories.make_follow_event(customer_id, reply_token=token)).status_code == 200
    customer = get_customer(services, customer_id)
    assert customer.display_name == "王小明" and customer.language == "zh-TW"
    assert customer.picture_url == "https://example.test/p.png"
    assert customer.follow_status == FollowStatus.FOLLOWING and customer.first_followed_at is not None
    welcome = services.catalogue.text("welcome.new", "zh-TW", name="王小明")
    assert texts_sent(emulator, customer_id) == [welcome]
    [reply] = emulator.calls("/v2/bot/message/reply")
    assert reply["requestBody"]["replyToken"] == token
    assert emulator.calls("/v2/bot/message/push") == []


def test_welcome_is_in_english_for_english_profiles(live_bot, services, emulator, customer_id):
    emulator.add_user(customer_id, "Amy", language="en")
    live_bot.send(factories.make_follow_event(customer_id, reply_token=emulator.issue_reply_token(customer_id)))
    assert texts_sent(emulator, customer_id) == [services.catalogue.text("welcome.new", "en", name="Amy")]


def test_unfollow_marks_customer_and_blocks_pushes(live_bot, services, emulator, customer_id):
    emulator.add_user(customer_id, "阿華")
    live_bot.send(factories.make_follow_event(customer_id, reply_token=emulator.issue_reply_token(customer_id)))
    assert live_bot.send(factories.make_unfollow_event(customer_id)).status_code == 200
    customer = get_customer(services, customer_id)
    assert customer.follow_status == FollowStatus.UNFOLLOWED and customer.unfollowed_at is not None
    assert not customers.can_push(customer)
    # a late message without a reply token would need a push: nothing is sent to a blocked user
    emulator.clear_calls()
    live_bot.send(factories.make_text_event(customer_id, "還在嗎"))
    assert emulator.calls("/v2/bot/message/push") == []


def test_refollow_revives_customer_with_returning_welcome(live_bot, services, emulator, customer_id):
    emulator.add_user(customer_id, "小美")
    live_bot.send(factories.make_follow_event(customer_id, reply_token=emulator.issue_reply_token(customer_id)))
    first = get_customer(services, customer_id).first_followed_at
    live_bot.send(factories.make_unfollow_event(customer_id))
    token = emulator.issue_reply_token(customer_id)
    live_bot.send(factories.make_follow_event(customer_id, reply_token=token, unblocked=True))
    customer = get_customer(services, customer_id)
    assert customer.follow_status == FollowStatus.FOLLOWING and customer.unfollowed_at is None
    assert customer.first_followed_at == first
    assert texts_sent(emulator, customer_id)[-1] == services.catalogue.text("welcome.returning", name="小美")


def test_text_from_unknown_user_creates_customer(live_bot, services, emulator, customer_id):
    emulator.add_user(customer_id, "陌生人", language="zh-TW")
    live_bot.send(factories.make_text_event(customer_id, "你好", reply_token=emulator.issue_reply_token(customer_id)))
    customer = get_customer(services, customer_id)
    assert customer is not None and customer.display_name == "陌生人"
    assert customer.follow_status == FollowStatus.UNKNOWN


def test_profile_failure_does_not_lose_the_event(live_bot, services, emulator, customer_id):
    emulator.inject_fault(status=500, count=1, path="/v2/bot/profile")
    live_bot.send(factories.make_follow_event(customer_id, reply_token=emulator.issue_reply_token(customer_id)))
    customer = get_customer(services, customer_id)
    assert customer.follow_status == FollowStatus.FOLLOWING and customer.display_name is None
    default_name = services.catalogue.text("customer.default_name")
    assert texts_sent(emulator, customer_id) == [services.catalogue.text("welcome.new", name=default_name)]


def test_a_customer_whose_profile_failed_gets_it_when_they_write_again(live_bot, services, emulator, customer_id):
    """Staff cards name the customer and replies follow their language: a failed first fetch is not final."""
    emulator.add_user(customer_id, "Amy Lin", language="en")
    emulator.inject_fault(status=500, count=1, path="/v2/bot/profile")
    live_bot.send(factories.make_follow_event(customer_id, reply_token=emulator.issue_reply_token(customer_id)))
    assert get_customer(services, customer_id).display_name is None
    live_bot.send(factories.make_text_event(customer_id, "hi", reply_token=emulator.issue_reply_token(customer_id)))
    customer = get_customer(services, customer_id)
    assert (customer.display_name, customer.language) == ("Amy Lin", "en")
    live_bot.send(factories.make_text_event(customer_id, "hello", reply_token=emulator.issue_reply_token(customer_id)))
    assert len(emulator.calls(f"/v2/bot/profile/{customer_id}")) == 2  # the failure, the fetch, then no more
