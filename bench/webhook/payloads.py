"""Signed webhook requests built before the clock starts, so the client only writes bytes."""

from __future__ import annotations

import random
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from tests.factories import envelope, make_text_event, sign

# everyday messages that no feature handler claims: each one gets exactly one answer (the menu)
TEXTS = ("你好", "請問今天有營業嗎", "想問一下", "謝謝", "Hello", "OK", "了解", "明天見", "👍", "收到")
LANGUAGES = ("zh-TW", "zh-TW", "zh-TW", "en")


@dataclass(frozen=True)
class Prepared:
    """One webhook POST, ready to write to a socket, and what the checks need to know about it."""

    event_id: str
    user_id: str
    reply_token: str | None
    request: bytes


def user_ids(count: int) -> list[str]:
    """LINE-shaped user IDs: 'U' and 32 lowercase hex digits."""
    return ["U" + secrets.token_hex(16) for _ in range(count)]


def register_users(emulator: str, users: list[str], seed: int) -> None:
    """Give every user a profile in the emulator, as LINE has one for every friend."""
    rng = random.Random(seed)
    profiles = [{"userId": user, "displayName": f"客人 {user[-4:]}", "language": rng.choice(LANGUAGES)}
                for user in users]
    _post_all(emulator + "/_emulator/users", profiles)


def mint_reply_tokens(emulator: str, users: list[str]) -> list[str]:
    """One real reply token per event, issued by the emulator for that event's chat."""
    answers = _post_all(emulator + "/_emulator/reply-tokens", [{"userId": user} for user in users])
    return [answer["replyToken"] for answer in answers]


def _post_all(url: str, bodies: list[dict], threads: int = 4) -> list[dict]:
    """POST many small admin requests with a few keep-alive sessions; fail on any refusal."""
    def post_slice(part: list[dict]) -> list[dict]:
        with requests.Session() as session:
            out = []
            for body in part:
                response = session.post(url, json=body, timeout=30)
                response.raise_for_status()
                out.append(response.json())
            return out

    size = max(1, -(-len(bodies) // threads))
    slices = [bodies[i:i + size] for i in range(0, len(bodies), size)]
    with ThreadPoolExecutor(threads) as pool:
        return [answer for part in pool.map(post_slice, slices) for answer in part]


def http_request(host: str, body: bytes, signature: str) -> bytes:
    """The raw HTTP/1.1 request LINE would send (one connection per request, as gunicorn sync serves)."""
    head = (f"POST /callback HTTP/1.1\r\nHost: {host}\r\nUser-Agent: LineBotWebhook/2.0\r\n"
            f"Content-Type: application/json; charset=utf-8\r\nX-Line-Signature: {signature}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode("ascii") + body


def prepare(host: str, secret: str, senders: list[str], tokens: list[str] | None, seed: int) -> list[Prepared]:
    """One text event per request, from the given senders in order, signed with the channel secret."""
    rng = random.Random(seed)
    prepared = []
    for index, user in enumerate(senders):
        token = tokens[index] if tokens is not None else None
        event = make_text_event(user, rng.choice(TEXTS), reply_token=token)
        body = envelope(event)
        prepared.append(Prepared(event["webhookEventId"], user, token, http_request(host, body, sign(body, secret))))
    return prepared


def senders_for(users: list[str], count: int, seed: int) -> list[str]:
    """Who writes each message: every user at least once when possible, the rest at random."""
    rng = random.Random(seed)
    picks = list(users[:count]) + [rng.choice(users) for _ in range(max(0, count - len(users)))]
    rng.shuffle(picks)
    return picks
