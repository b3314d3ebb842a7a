"""Rendering message values to LINE's JSON: validated by the SDK's models, cached by value."""

from __future__ import annotations

import pytest

from bot import render
from handlers.actions import Action
from handlers.replies import Button, Postback, Text


def menu(label: str = "填問卷") -> Text:
    return Text("你好！", quick_replies=(Button(label, postback=Postback(Action.HELP, {"page": "1"})),))


def test_a_repeated_message_renders_the_same_json_as_a_copy_of_its_own():
    first = render.render(menu())
    first["quickReply"]["items"][0]["action"]["label"] = "changed by a caller"
    second = render.render(menu())
    assert second["type"] == "text" and second["text"] == "你好！"
    assert second["quickReply"]["items"][0]["action"]["label"] == "填問卷"
    assert render.render(menu("看優惠"))["quickReply"]["items"][0]["action"]["label"] == "看優惠"


def test_a_message_over_lines_limits_is_refused_every_time():
    too_long = Text("字" * (render.MAX_TEXT_LENGTH + 1))
    for _ in range(2):
        with pytest.raises(render.RenderError):
            render.render(too_long)


def test_text_length_is_counted_as_line_counts_it_in_utf16_code_units():
    render.render(Text("字" * render.MAX_TEXT_LENGTH))
    with pytest.raises(render.RenderError):  # 2,501 emoji are 5,002 code units: LINE refuses them
        render.render(Text("🙏" * (render.MAX_TEXT_LENGTH // 2 + 1)))
