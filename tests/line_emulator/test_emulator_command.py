"""build_app: the emulator for another WSGI server takes the command line's options."""

from __future__ import annotations

import pytest

from line_emulator.__main__ import build_app


def test_build_app_applies_the_command_line_options() -> None:
    app = build_app(["--channel-secret", "S", "--access-token", "T", "--monthly-limit", "7"])
    client = app.test_client()
    answer = client.get("/v2/bot/message/quota", headers={"Authorization": "Bearer T"})
    assert answer.status_code == 200
    assert answer.get_json() == {"type": "limited", "value": 7}
    assert client.get("/v2/bot/message/quota", headers={"Authorization": "Bearer other"}).status_code == 401


def test_build_app_refuses_to_start_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    with pytest.raises(SystemExit):
        build_app(["--access-token", "T"])


def test_users_survive_a_restart_with_a_users_file(tmp_path) -> None:
    users_file = tmp_path / "instance" / "emulator-users.json"
    options = ["--channel-secret", "S", "--access-token", "T", "--users-file", str(users_file)]
    client = build_app(options).test_client()
    mei = client.post("/_emulator/users", json={"displayName": "小美", "language": "zh-TW"}).get_json()
    chen = client.post("/_emulator/users", json={"displayName": "陳小姐"}).get_json()
    client.post("/_emulator/webhook/unfollow", json={"userId": chen["userId"]})  # no webhook URL: not sent

    restarted = build_app(options).test_client()
    users = {user["userId"]: user for user in restarted.get("/_emulator/users").get_json()}
    assert users[mei["userId"]]["displayName"] == "小美" and users[mei["userId"]]["following"] is True
    assert users[chen["userId"]]["displayName"] == "陳小姐" and users[chen["userId"]]["following"] is False
    assert build_app(options[:4]).test_client().get("/_emulator/users").get_json() == []  # without it: in memory

    restarted.post("/_emulator/reset")
    assert build_app(options).test_client().get("/_emulator/users").get_json() == []
