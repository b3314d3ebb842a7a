"""Broadcast test helpers: customers made straight in the database, the example survey, audiences, sends."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers import broadcasts as planning
from handlers.broadcasts import Audience
from storage import customer_tags, surveys
from storage.base import utcnow
from storage.models import Customer, CustomerTag, FollowStatus, SurveyInvitation

ROOT = Path(__file__).resolve().parents[2]
POST_PURCHASE = ROOT / "examples" / "surveys" / "post_purchase.yaml"
SERVICE_RECOVERY = ROOT / "examples" / "surveys" / "service_recovery.yaml"
FAST = {"KOUBEI_BROADCAST_RETRY_BASE_SECONDS": "0.05", "KOUBEI_BROADCAST_LEASE_SECONDS": "60"}


def new_user_id() -> str:
    """A fresh LINE user ID."""
    return "U" + os.urandom(16).hex()


def add_customer(services, *, follow: FollowStatus = FollowStatus.FOLLOWING, language: str | None = None,
                 followed_at: datetime | None = None, tags: tuple[str, ...] = ()) -> int:
    """A customer row as the webhook would have left it; returns its id."""
    now = utcnow()
    with services.db.session_scope() as session:
        customer = Customer(line_user_id=new_user_id(), follow_status=follow, language=language, created_at=now,
                            followed_at=followed_at or now, first_followed_at=followed_at or now)
        session.add(customer)
        session.flush()
        session.add_all(CustomerTag(customer_id=customer.id, tag=tag, created_at=now) for tag in tags)
        return customer.id


def seed(services, count: int, *, language: str | None = None, tag: str | None = None) -> None:
    """Many followers at once."""
    with services.db.session_scope() as session:
        customer_tags.seed_followers(session, count=count, now=utcnow(), language=language, tag=tag)


def import_survey(runner, path: Path = POST_PURCHASE) -> None:
    """Run ``flask surveys import``."""
    result = runner.invoke(args=["surveys", "import", str(path)])
    assert result.exit_code == 0, result.output


def version_id(services, key: str = "post_purchase") -> int:
    """The latest version of a survey."""
    with services.db.session_scope() as session:
        return surveys.get_latest_version(session, survey_id=surveys.get_by_key(session, key=key).id).id


def audience(services, spec: str, *, key: str = "post_purchase", now: datetime | None = None) -> Audience:
    """Who a broadcast would reach now."""
    with services.db.session_scope() as session:
        return planning.preview(session, survey_key=key, spec=spec, now=now or utcnow(),
                                catalogue=services.catalogue, options=services.settings.extra).audience


def invite(services, customer_id: int, *, days_ago: float = 0, key: str = "post_purchase") -> None:
    """Record an invitation sent some days ago."""
    version = version_id(services, key)
    with services.db.session_scope() as session:
        surveys.create_invitation(session, version_id=version, customer_id=customer_id,
                                  source="trigger", now=utcnow() - timedelta(days=days_ago))


def send(runner, spec: str, *extra: str, key: str = "post_purchase"):
    """``flask broadcast create ... --yes`` (Huey is immediate: the send is over when it returns)."""
    return runner.invoke(args=["broadcast", "create", "--survey", key, "--segment", spec, "--yes", *extra])


def multicasts(emulator) -> list[dict]:
    """The multicast calls LINE received."""
    return emulator.calls("/v2/bot/message/multicast")


def invitations(services) -> int:
    """Invitations recorded (what the survey module's fatigue rules read)."""
    with services.db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(SurveyInvitation))


@pytest.fixture
def survey(runner) -> None:
    """The example post-purchase survey, imported."""
    import_survey(runner)
