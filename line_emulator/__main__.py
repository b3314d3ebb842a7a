"""Command line: run the emulator for development (python -m line_emulator ...)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from line_emulator import EmulatorConfig, create_app


class PollQuietHandler(WSGIRequestHandler):
    """Access log without the chat page's polling, which would drown everything else."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the request unless it is a successful poll."""
        if str(code) == "200" and self.path.startswith("/_emulator/conversation"):
            return
        super().log_request(code, size)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read options; secrets fall back to the bot's own environment variables."""
    parser = argparse.ArgumentParser(prog="python -m line_emulator", description="Local LINE Messaging API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5100)
    parser.add_argument(
        "--webhook-url",
        default=os.environ.get("LINE_EMULATOR_WEBHOOK_URL"),
        help="the bot's callback URL, e.g. http://127.0.0.1:5000/callback",
    )
    parser.add_argument("--channel-secret", default=os.environ.get("LINE_CHANNEL_SECRET"))
    parser.add_argument("--access-token", default=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN"))
    parser.add_argument("--reply-token-ttl", type=float, default=60.0)
    parser.add_argument("--monthly-limit", type=int, default=None)
    parser.add_argument("--bot-user-id", default=None)
    parser.add_argument("--users-file", type=Path, default=None,
                        help="keep the users (profiles, who follows) in this JSON file across restarts")
    args = parser.parse_args(argv)
    if not args.channel_secret or not args.access_token:
        parser.error(
            "give --channel-secret and --access-token (or set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN)"
        )
    return args


def _config(args: argparse.Namespace) -> EmulatorConfig:
    config = EmulatorConfig(
        channel_secret=args.channel_secret,
        access_token=args.access_token,
        webhook_url=args.webhook_url,
        reply_token_ttl=args.reply_token_ttl,
        monthly_limit=args.monthly_limit,
        users_file=args.users_file,
    )
    if args.bot_user_id:
        config.bot_user_id = args.bot_user_id
    return config


def build_app(argv: list[str]) -> Flask:
    """The emulator app for another WSGI server, given the same options (host and port are the server's).

    werkzeug's server closes every connection; LINE's keeps them open. The benchmark serves the
    emulator with gunicorn's threaded worker (one process: the state is in memory), so the bot's
    client reuses its connections as it would against LINE:
    ``gunicorn --config python:bench.webhook.emulator_conf "line_emulator.__main__:build_app([...])"``
    (docs/line-emulator.md).
    """
    return create_app(_config(parse_args(argv)))


def main(argv: list[str] | None = None) -> None:
    """Serve the emulator until interrupted."""
    args = parse_args(argv)
    server = make_server(args.host, args.port, create_app(_config(args)), threaded=True,
                         request_handler=PollQuietHandler)
    base = f"http://{args.host}:{server.server_port}"
    print(f"LINE emulator running. Chat page: {base}/", flush=True)
    print(f"  Messaging API host for the bot: {base}", flush=True)
    print(f"  Webhooks go to: {args.webhook_url or '(not set; PUT /_emulator/webhook-url)'}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
