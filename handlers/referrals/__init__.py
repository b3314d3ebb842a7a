"""The referral programme: personal codes, share links, redemption, rewards and reports."""

from __future__ import annotations

from handlers.actions import Action
from handlers.referrals import redemption, rewards, sharing
from handlers.referrals.qualification import Qualification, QualificationStatus, qualify_referral
from handlers.referrals.sharing import code_reply, get_or_issue_code
from handlers.routing import Router
from storage.models.referrals import QualifyReason

KEYWORD_PRIORITY = 40
REDEMPTION_PRIORITY = 50


def register(router: Router) -> None:
    """Attach the code and rewards keywords, their buttons, and code redemption."""
    router.on_message(KEYWORD_PRIORITY, sharing.on_keyword)
    router.on_message(KEYWORD_PRIORITY, rewards.on_keyword)
    router.on_message(REDEMPTION_PRIORITY, redemption.on_message)
    router.on_postback(Action.REFERRAL_SHOW, sharing.on_postback)
    router.on_postback(Action.REWARDS_LIST, rewards.on_postback)


__all__ = ["Qualification", "QualificationStatus", "QualifyReason", "code_reply", "get_or_issue_code",
           "qualify_referral", "register"]
