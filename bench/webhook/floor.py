"""What any design of the worker pays per event: the SDK's calls to the emulator, measured alone.

    .venv/bin/python -m bench.webhook.floor [--calls 3000]

The end-to-end phase (c) sends one reply per event and fetches the profile of each new sender
(a quarter of the events). Here the same calls run one at a time from this process, with the
answer the bot gives (the menu, quick replies included), and the CPU each side spends per call is
read from /proc: the SDK in this process (pydantic models, urllib3, http.client) and the emulator.
With the webhook's own cost from the main benchmark, this bounds the end-to-end rate on two cores
before the worker has done any work of its own.
"""

from __future__ import annotations

import argparse
import time

from bench.webhook import payloads
from bench.webhook.cpu import sample, spent
from bench.webhook.stack import Stack, StackConfig
from bot import render
from bot.config import DEFAULT_CATALOGUE
from bot.line_client import LineClient
from handlers.catalogue import Catalogue
from handlers.menu import menu_buttons
from handlers.replies import Text


def _cpu_per_call(stack: Stack, calls: int, run) -> tuple[float, float]:
    """Milliseconds of CPU per call in this process and in the emulator."""
    trees = {"emulator": stack.processes["emulator"].pid}
    before = sample(trees, {})
    run()
    _, used = spent(before, sample(trees, {}))
    return 1000 * used["client"] / calls, 1000 * used["emulator"] / calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="reply calls (a quarter as many profile fetches)")
    args = parser.parse_args(argv)
    config = StackConfig(database_url=None, redis_url=None, consumer_workers=1, consumer_type="thread",
                         consumer_max_delay=1.0)
    with Stack(config) as stack:
        stack.start_emulator()
        emulator = stack.url("emulator")
        users = payloads.user_ids(max(1, args.calls // 4))
        payloads.register_users(emulator, users, seed=1)
        tokens = payloads.mint_reply_tokens(emulator, payloads.senders_for(users, args.calls, seed=1))
        t = Catalogue.load(DEFAULT_CATALOGUE).translator("zh-TW")
        [menu] = render.render_all([Text(t("menu.help.text"), quick_replies=menu_buttons(t))])
        client = LineClient(host=emulator, access_token=stack.token)

        def replies() -> None:
            for token in tokens:
                if not client.reply(reply_token=token, messages=menu).delivered:
                    raise RuntimeError("the emulator refused a reply")

        def profiles() -> None:
            for user in users:
                if client.get_profile(user) is None:
                    raise RuntimeError("the emulator gave no profile")

        started = time.perf_counter()
        reply = _cpu_per_call(stack, len(tokens), replies)
        reply_rate = len(tokens) / (time.perf_counter() - started)
        profile = _cpu_per_call(stack, len(users), profiles)
        client.close()
    per_event = reply[0] + reply[1] + (profile[0] + profile[1]) * len(users) / len(tokens)
    print(f"reply (menu, {len(tokens)} calls, {reply_rate:.0f}/s from one thread): "
          f"SDK {reply[0]:.2f} ms + emulator {reply[1]:.2f} ms of CPU per call")
    print(f"profile ({len(users)} calls): SDK {profile[0]:.2f} ms + emulator {profile[1]:.2f} ms of CPU per call")
    print(f"per event of phase (c) (a reply, a quarter of a profile): {per_event:.2f} ms of CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
