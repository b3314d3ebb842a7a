"""The chat page and the conversation feed it polls."""

from __future__ import annotations

import pytest
import requests
from linebot.v3.messaging import MessagingApi, ReplyMessageRequest, TextMessage

from line_emulator.ids import new_user_id
from line_emulator.testing import EmulatorClient, EmulatorServer


@pytest.mark.parametrize("path", ["/", "/chat"])
def test_chat_page_is_served_with_its_script(server: EmulatorServer, path: str) -> None:
    page = requests.get(server.url + path, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script src="/static/render.js">' in page.text
    assert '<script src="/static/chat.js">' in page.text
    assert server.config.bot_user_id in page.text
    script = requests.get(server.url + "/static/chat.js", timeout=5)
    assert script.status_code == 200
    assert "/conversation?" in script.text
    renderer = requests.get(server.url + "/static/render.js", timeout=5)
    assert "createLineRender" in renderer.text
    assert requests.get(server.url + "/static/chat.css", timeout=5).status_code == 200


def test_conversation_shows_both_sides_in_order(
    server: EmulatorServer, emulator: EmulatorClient, receiver, line_api: MessagingApi
) -> None:
    emulator.set_webhook_url(receiver.url)
    receiver.on_event = lambda event: line_api.reply_message(
        ReplyMessageRequest(reply_token=event.reply_token, messages=[TextMessage(text="謝謝您的回饋")])
    )
    user_id = new_user_id()
    emulator.follow(user_id)
    emulator.send_text(user_id, "服務很好 👍")
    feed = requests.get(f"{server.url}/_emulator/conversation", params={"chatId": user_id}, timeout=5).json()
    described = [(e["via"], e.get("event") or e["message"]["text"]) for e in feed["entries"]]
    assert described == [
        ("event", "follow"),
        ("reply", "謝謝您的回饋"),
        ("user", "服務很好 👍"),
        ("reply", "謝謝您的回饋"),
    ]
    assert feed["loadingUntil"] is None
    assert emulator.texts(user_id) == ["謝謝您的回饋", "謝謝您的回饋"]
