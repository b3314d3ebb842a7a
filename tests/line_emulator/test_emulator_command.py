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
