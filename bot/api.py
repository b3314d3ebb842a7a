"""The staff API: a till or shop system records first purchases and redeems coupons, behind a bearer key."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from bot.notifications import queue_notifications, send_queued
from bot.services import get_services
from handlers.errors import RewardRefused
from handlers.referrals import reports, staff
from handlers.referrals.rewards import RedeemRefusal

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api")

REFUSAL_STATUS = {RedeemRefusal.UNKNOWN: 404, RedeemRefusal.ALREADY_REDEEMED: 409, RedeemRefusal.EXPIRED: 410}


def _error(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=message, **extra), status


@bp.before_request
def require_api_key() -> tuple[Response, int] | None:
    """Let a request through only with ``Authorization: Bearer <KOUBEI_API_KEY>``."""
    key = get_services(current_app).settings.api_key
    if not key:
        return _error(503, "the staff API is off: set KOUBEI_API_KEY to turn it on")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # compare_digest takes as long for a near miss as for a wild guess
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), key.reveal().encode()):
        log.warning("staff API: refused a request without a valid key from %s", request.remote_addr)
        response, status = _error(401, "a valid API key is required (Authorization: Bearer ...)")
        response.headers["WWW-Authenticate"] = 'Bearer realm="koubei"'
        return response, status
    return None


def _field(name: str) -> str | None:
    body = request.get_json(silent=True)
    value = body.get(name) if isinstance(body, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


@bp.errorhandler(RewardRefused)
def coupon_refused(error: RewardRefused) -> tuple[Response, int]:
    """Say why a coupon cannot be redeemed; for a used one, when and by whom."""
    reward = staff.reward_data(error.reward) if error.reward is not None else None
    return _error(REFUSAL_STATUS[error.reason], error.reason, reward=reward)


@bp.post("/referrals/qualify")
def qualify() -> tuple[Response, int]:
    """Record a customer's first purchase and reward whoever referred them."""
    ref = _field("customer")
    if ref is None:
        return _error(400, "give the customer: a LINE user ID, a referral code or a coupon code")
    services = get_services(current_app)
    now = services.clock()
    with services.db.session_scope() as session:
        customer = staff.find_customer(session, ref=ref)
        if customer is None:
            return _error(404, "unknown customer")
        purchase = staff.record_purchase(session, customer=customer, now=now, source="api")
        notifications = purchase.qualification.notifications(services.catalogue, services.zone)
        outbound = queue_notifications(session, notifications=notifications, now=now)
        data = staff.purchase_data(purchase)
    send_queued(services, outbound)
    return jsonify(data), 200


@bp.post("/rewards/redeem")
def redeem() -> tuple[Response, int]:
    """Redeem a coupon once; 409 with when and by whom for a second time."""
    code, staff_name = _field("code"), _field("staff") or "api"
    if code is None:
        return _error(400, "give the coupon code")
    services = get_services(current_app)
    now = services.clock()
    with services.db.session_scope() as session:
        result = staff.redeem(session, code=code, staff=staff_name, now=now)
        qualification = result.qualification
        notifications = qualification.notifications(services.catalogue, services.zone) if qualification else []
        outbound = queue_notifications(session, notifications=notifications, now=now)
        data = {"status": "redeemed", "reward": staff.reward_data(result.reward),
                "qualification": staff.qualification_data(result.qualification) if result.qualification else None}
    send_queued(services, outbound)
    return jsonify(data), 200


@bp.get("/referrals/report")
def report() -> tuple[Response, int]:
    """The referral report as JSON, the same as ``flask referrals report --format json``."""
    services = get_services(current_app)
    with services.db.session_scope() as session:
        return jsonify(reports.build_report(session, now=services.clock())), 200
