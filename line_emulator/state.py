"""In-memory state of one emulator instance, shared by its threaded request handlers."""

from __future__ import annotations

import copy
import itertools
import json
import os
import threading
import time
from typing import Any

from line_emulator.config import EmulatorConfig
from line_emulator.ids import new_message_id, new_quote_token, new_reply_token
from line_emulator.records import AcceptedKey, Fault, Memory, ReplyToken

RETRY_KEY_LIFETIME = 24 * 3600.0
MAX_REPLY_TOKENS = 1000
QUOTABLE_TYPES = {"text", "sticker", "image", "video"}
RATE_LIMIT_BODY = {"message": "The API rate limit has been exceeded. Try again later."}


class EmulatorState:
    """Thread-safe store behind the Messaging API, the admin API and the chat page."""

    def __init__(self, config: EmulatorConfig) -> None:
        """Start empty, with the limits and webhook URL from config."""
        self.config = config
        self.lock = threading.RLock()
        self.webhook_url = config.webhook_url
        self.monthly_limit = config.monthly_limit
        self._data = Memory(users=self._load_users())
        self._call_seq = itertools.count(1)
        self._timeline_seq = itertools.count(1)
        self._fault_seq = itertools.count(1)

    def reset(self) -> None:
        """Forget calls, faults, tokens, retry keys, users, messages and quota usage."""
        with self.lock:
            self._data = Memory()
            self.monthly_limit = self.config.monthly_limit
            self._save_users()

    def _load_users(self) -> dict[str, dict[str, Any]]:
        """The users kept by an earlier run, so a restart does not lose the people on the chat page."""
        path = self.config.users_file
        if path is None or not path.exists():
            return {}
        return {user["userId"]: user for user in json.loads(path.read_text(encoding="utf-8"))}

    def _save_users(self) -> None:
        """Write the users file whole, then rename it into place, so a crash never leaves half a file."""
        path = self.config.users_file
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(list(self._data.users.values()), ensure_ascii=False, indent=1),
                           encoding="utf-8")
        os.replace(partial, path)

    def record_call(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append one Messaging API call to the log, numbering it."""
        with self.lock:
            entry = {"seq": next(self._call_seq), **entry}
            self._data.calls.append(entry)
            return entry

    def list_calls(self, path: str | None = None) -> list[dict[str, Any]]:
        """Return recorded calls, optionally only those to one path."""
        with self.lock:
            return [copy.deepcopy(c) for c in self._data.calls if path is None or c["path"] == path]

    def clear_calls(self) -> None:
        """Forget the call log only."""
        with self.lock:
            self._data.calls.clear()

    def add_fault(
        self, status: int | None, count: int, body: dict[str, Any] | None, path: str | None, delay: float | None
    ) -> Fault:
        """Queue a fault for the next count calls whose path starts with path."""
        if status is not None and body is None:
            body = RATE_LIMIT_BODY if status == 429 else {"message": "Internal server error"}
        with self.lock:
            fault = Fault(next(self._fault_seq), count, status, body, path, delay)
            self._data.faults.append(fault)
            return fault

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the oldest fault matching path, if any."""
        with self.lock:
            for fault in self._data.faults:
                if fault.remaining > 0 and (fault.path is None or path.startswith(fault.path)):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._data.faults.remove(fault)
                    return copy.copy(fault)
            return None

    def list_faults(self) -> list[dict[str, Any]]:
        """Describe pending faults."""
        with self.lock:
            return [f.as_dict() for f in self._data.faults]

    def clear_faults(self) -> None:
        """Drop all pending faults."""
        with self.lock:
            self._data.faults.clear()

    def upsert_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """Register a user or update the given profile fields."""
        with self.lock:
            user = self._data.users.get(user_id)
            if user is None:
                user = {
                    "userId": user_id,
                    "displayName": "User " + user_id[-4:],
                    "pictureUrl": None,
                    "language": "zh-TW",
                    "statusMessage": None,
                    "following": True,
                    "blocked": False,
                }
                self._data.users[user_id] = user
            user.update({k: v for k, v in fields.items() if v is not None})
            self._save_users()
            return dict(user)

    def ensure_user(self, user_id: str) -> dict[str, Any]:
        """Return the user, registering a default profile the first time it is seen."""
        with self.lock:
            user = self._data.users.get(user_id)
            return dict(user) if user is not None else self.upsert_user(user_id)

    def get_user(self, user_id: str) -> dict[str, Any] | None:
        """Return a copy of the user's profile, or None if unknown."""
        with self.lock:
            user = self._data.users.get(user_id)
            return dict(user) if user is not None else None

    def list_users(self) -> list[dict[str, Any]]:
        """Return every known user."""
        with self.lock:
            return [dict(u) for u in self._data.users.values()]

    def follow(self, user_id: str) -> bool:
        """Mark the user as following; return whether this unblocks the bot."""
        with self.lock:
            self.ensure_user(user_id)
            user = self._data.users[user_id]
            was_blocked = bool(user.get("blocked"))
            user.update(following=True, blocked=False)
            self._save_users()
            return was_blocked

    def unfollow(self, user_id: str) -> None:
        """Mark the user as having blocked the bot."""
        with self.lock:
            self.ensure_user(user_id)
            self._data.users[user_id].update(following=False, blocked=True)
            self._save_users()

    def following_user_ids(self) -> list[str]:
        """Return the users a broadcast reaches."""
        with self.lock:
            return [uid for uid, u in self._data.users.items() if u["following"]]

    def is_following(self, chat_id: str) -> bool:
        """Tell whether pushes to chat_id are shown (groups always are)."""
        with self.lock:
            user = self._data.users.get(chat_id)
            return user is None or bool(user["following"])

    def issue_reply_token(self, chat_id: str) -> str:
        """Mint a reply token valid for reply_token_ttl seconds for chat_id."""
        token = new_reply_token()
        with self.lock:
            now = time.monotonic()
            tokens = self._data.reply_tokens
            if len(tokens) >= MAX_REPLY_TOKENS:
                # a long chat-page session mints a token per message; drop the dead ones
                for dead in [t for t, e in tokens.items() if e.used or e.expires_at < now]:
                    del tokens[dead]
            tokens[token] = ReplyToken(chat_id, now + self.config.reply_token_ttl)
        return token

    def consume_reply_token(self, token: str) -> str | None:
        """Use up a reply token; return its chat, or None if unknown, used or expired."""
        with self.lock:
            entry = self._data.reply_tokens.get(token)
            if entry is None or entry.used or time.monotonic() > entry.expires_at:
                return None
            entry.used = True
            return entry.chat_id

    def accepted_key(self, key: str) -> AcceptedKey | None:
        """Return the accepted request for a retry key still within its 24 hours."""
        with self.lock:
            entry = self._data.retry_keys.get(key.lower())
            if entry is not None and time.monotonic() - entry.accepted_at > RETRY_KEY_LIFETIME:
                del self._data.retry_keys[key.lower()]
                return None
            return entry

    def accept_key(self, key: str, request_id: str, sent: list[dict[str, str]] | None) -> None:
        """Remember that a request with this retry key was accepted."""
        with self.lock:
            self._data.retry_keys[key.lower()] = AcceptedKey(request_id, time.monotonic(), sent)

    def deliver(
        self, chat_id: str, via: str, messages: list[dict[str, Any]], request_id: str, show: bool = True
    ) -> list[dict[str, str]]:
        """Put the bot's messages in a chat; return LINE's sentMessages entries."""
        sent = []
        with self.lock:
            if show:
                self._data.loading.pop(chat_id, None)
            for message in messages:
                entry = {"id": new_message_id()}
                if message.get("type") in QUOTABLE_TYPES:
                    entry["quoteToken"] = new_quote_token()
                sent.append(entry)
                if show:
                    self._append(
                        chat_id,
                        {"via": via, "id": entry["id"], "requestId": request_id, "message": copy.deepcopy(message)},
                    )
        return sent

    def add_user_entry(self, chat_id: str, user_id: str | None, via: str, **extra: Any) -> dict[str, Any]:
        """Put something the user did (message, follow, ...) in the chat's timeline."""
        with self.lock:
            name = self.ensure_user(user_id)["displayName"] if user_id else None
            return self._append(chat_id, {"via": via, "userId": user_id, "displayName": name, **extra})

    def _append(self, chat_id: str, entry: dict[str, Any]) -> dict[str, Any]:
        """Number and store one timeline entry; caller holds the lock."""
        entry = {"seq": next(self._timeline_seq), "chatId": chat_id, "at": time.time(), **entry}
        self._data.timeline.append(entry)
        return entry

    def timeline(self, chat_id: str, since: int = 0, include_user: bool = False) -> list[dict]:
        """Return a chat's entries after seq since; the bot's messages only unless include_user."""
        with self.lock:
            return [
                copy.deepcopy(e)
                for e in self._data.timeline
                if e["chatId"] == chat_id and e["seq"] > since and (include_user or e["via"] not in ("user", "event"))
            ]

    def start_loading(self, chat_id: str, seconds: int) -> None:
        """Show the loading animation in a chat for some seconds."""
        with self.lock:
            self._data.loading[chat_id] = time.time() + seconds

    def loading_until(self, chat_id: str) -> float | None:
        """Return when the chat's loading animation ends, if it is showing."""
        with self.lock:
            until = self._data.loading.get(chat_id)
            return until if until is not None and until > time.time() else None

    def record_webhook(self, entry: dict[str, Any]) -> None:
        """Keep a log of webhooks sent to the bot."""
        with self.lock:
            self._data.webhooks.append({"at": time.time(), **entry})

    def list_webhooks(self) -> list[dict[str, Any]]:
        """Return the webhook log."""
        with self.lock:
            return copy.deepcopy(self._data.webhooks)

    def quota(self) -> dict[str, Any]:
        """Return the monthly limit and usage."""
        with self.lock:
            return {"monthlyLimit": self.monthly_limit, "totalUsage": self._data.total_usage}

    def set_quota(self, monthly_limit: int | None, total_usage: int | None, change_limit: bool) -> None:
        """Set the monthly limit and/or the usage so far."""
        with self.lock:
            if change_limit:
                self.monthly_limit = monthly_limit
            if total_usage is not None:
                self._data.total_usage = total_usage

    def would_exceed(self, recipients: int) -> bool:
        """Tell whether sending to this many recipients goes past the monthly limit."""
        with self.lock:
            limit = self.monthly_limit
            return limit is not None and self._data.total_usage + recipients > limit

    def consume_quota(self, recipients: int) -> None:
        """Count recipients against the monthly usage."""
        with self.lock:
            self._data.total_usage += recipients
