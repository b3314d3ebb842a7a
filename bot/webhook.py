"""POST /callback: verify, record, enqueue, answer 200. GET /healthz. Nothing slow happens here."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, abort, current_app, jsonify, request
from linebot.v3.webhook import SignatureValidator
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services, get_services
from bot.tasks import get_huey
from storage import events, outbox

log = logging.getLogger(__name__)

bp = Blueprint("webhook", __name__)

PARSER_KEY = "koubei.webhook_parser"


def init_parser(app, channel_secret: str) -> None:
    """Keep one SDK signature validator per app, bound to the channel secret.

    Only the signature check: the SDK's WebhookParser would also build a model object per event
    (about a quarter of the request's CPU) that nothing here reads; _valid_events checks the envelope.
    """
    app.extensions[PARSER_KEY] = SignatureValidator(channel_secret)


def _reject(status: int, reason: str):
    log.warning("webhook rejected (%s): %s; %d bytes from %s",
                status, reason, request.content_length or 0, request.remote_addr)
    abort(status, description=reason)


def _valid_events(payload: object) -> list[dict]:
    """LINE's envelope: an object with a list of events, each with a type and an id."""
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ValueError("body is not a LINE webhook payload")
    for raw in payload["events"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str) \
                or not isinstance(raw.get("webhookEventId"), str):
            raise ValueError("event without type or webhookEventId")
    return payload["events"]


@bp.post("/callback")
def callback():
    """Accept a LINE webhook: signature over the raw bytes, then store before answering."""
    signature = request.headers.get("X-Line-Signature")
    body = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 from Flask
    if request.content_length is None and len(body) >= current_app.config["MAX_CONTENT_LENGTH"]:
        # chunked (no Content-Length): Werkzeug stops reading at the limit instead of refusing
        _reject(413, "chunked body over the size limit")
    if not signature:
        _reject(400, "missing X-Line-Signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        _reject(400, "body is not UTF-8")
    validator: SignatureValidator = current_app.extensions[PARSER_KEY]
    if not validator.validate(text, signature):  # HMAC over text.encode() == the raw bytes
        _reject(400, "invalid signature")
    try:
        payload = json.loads(text)
        if "\\u" in text:  # escapes may encode half an emoji, which no database stores
            json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except ValueError:  # UnicodeEncodeError included
        _reject(400, "malformed webhook body")
    try:
        raw_events = _valid_events(payload)
    except ValueError as exc:
        _reject(400, str(exc))
    services = get_services(current_app)
    with services.db.driver_transaction() as tx:
        new_ids = events.record_events(tx, events=raw_events, now=services.clock())
        queued = bool(new_ids) and services.queue.process_events_in(tx, new_ids)
    if not queued:
        _enqueue(services, new_ids)
    # written by hand: jsonify costs a tenth of this request's CPU
    return current_app.response_class(f'{{"status":"ok","stored":{len(new_ids)}}}\n', mimetype="application/json")


def _enqueue(services: Services, event_ids: list[int]) -> None:
    """Queue stored events after their commit (a queue outside the database: Redis, another file)."""
    for event_id in event_ids:
        try:
            services.queue.process_event(event_id)
        except Exception:
            # the event is stored: the periodic sweep will enqueue it when the queue is back
            log.exception("could not enqueue event %s", event_id)


@bp.get("/healthz")
def healthz():
    """Report whether the database and the queue answer, with backlog counts."""
    services = get_services(current_app)
    report: dict = {"database": "ok", "queue": "ok"}
    status = 200
    try:
        with services.db.read_scope() as session:  # counts only: never queue behind writers for the write lock
            report["events"] = events.count_by_status(session)
            report["outbox"] = outbox.count_by_status(session)
    except SQLAlchemyError as exc:
        report["database"] = f"error: {type(exc).__name__}"
        status = 503
    try:
        report["queue_pending"] = get_huey(current_app).pending_count()
    except Exception as exc:  # any backend failure means the queue is down; say which
        report["queue"] = f"error: {type(exc).__name__}"
        status = 503
    report["status"] = "ok" if status == 200 else "degraded"
    return jsonify(report), status
