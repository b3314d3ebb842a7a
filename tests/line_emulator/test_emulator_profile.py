"""Profiles and the loading animation."""

from __future__ import annotations

import json

import pytest
from linebot.v3.messaging import ApiException, MessagingApi, ShowLoadingAnimationRequest

from line_emulator.ids import new_group_id, new_user_id
from line_emulator.testing import EmulatorClient


def test_profile_of_a_known_user(line_api: MessagingApi, emulator: EmulatorClient) -> None:
    user_id = new_user_id()
    emulator.add_user(user_id, "陳美麗", language="ja", picture_url="https://example.com/p.png")
    profile = line_api.get_profile(user_id)
    assert (profile.user_id, profile.display_name, profile.language, profile.picture_url) == (
        user_id,
        "陳美麗",
        "ja",
        "https://example.com/p.png",
    )


def test_profile_defaults_to_zh_tw_and_a_local_picture(line_api: MessagingApi, user_id: str) -> None:
    profile = line_api.get_profile(user_id)
    assert profile.language == "zh-TW"
    assert profile.picture_url.endswith("/static/avatar.svg")


def test_unknown_user_is_404(line_api: MessagingApi) -> None:
    with pytest.raises(ApiException) as caught:
        line_api.get_profile(new_user_id())
    assert caught.value.status == 404
    assert json.loads(caught.value.body) == {"message": "Not found"}


def test_user_who_blocked_the_bot_is_404(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    emulator.add_user(user_id, "王小明", following=False)
    with pytest.raises(ApiException) as caught:
        line_api.get_profile(user_id)
    assert caught.value.status == 404


def test_group_member_profile(line_api: MessagingApi, user_id: str) -> None:
    profile = line_api.get_group_member_profile(new_group_id(), user_id)
    assert profile.display_name == "王小明"


def test_loading_animation_is_accepted_with_202(line_api: MessagingApi, user_id: str) -> None:
    response = line_api.show_loading_animation_with_http_info(
        ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=10)
    )
    assert response.status_code == 202


@pytest.mark.parametrize("seconds", [3, 7, 65])
def test_loading_seconds_must_be_a_multiple_of_5_up_to_60(line_api: MessagingApi, user_id: str, seconds: int) -> None:
    request = ShowLoadingAnimationRequest.construct(chat_id=user_id, loading_seconds=seconds)
    with pytest.raises(ApiException) as caught:
        line_api.show_loading_animation(request)
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["details"][0]["property"] == "loadingSeconds"
