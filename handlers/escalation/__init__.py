"""Staff escalation of complaint cases: cards, claim / reply / resolve, the reply relay, SLA checks, follow-up.

Cases are opened by ``handlers.complaints``; this package is what staff do with them.
"""

from __future__ import annotations

from handlers.actions import Action
from handlers.escalation import actions, relay, sla
from handlers.escalation.recovery import RECOVERY_SURVEY, on_recovery_completed
from handlers.routing import Router
from handlers.surveys import on_completed


def register(router: Router) -> None:
    """Attach the card buttons, the relay, staff chat, the SLA job and the recovery survey's completion hook."""
    router.on_message(relay.RELAY_PRIORITY, relay.on_message)
    router.on_message(relay.STAFF_CHAT_PRIORITY, relay.on_staff_message)
    router.on_postback(Action.CASE_CLAIM, actions.on_claim)
    router.on_postback(Action.CASE_REPLY, actions.on_reply)
    router.on_postback(Action.CASE_RESOLVE, actions.on_resolve)
    router.every(sla.EVERY_MINUTES, sla.JOB_NAME, sla.check_sla)
    on_completed(RECOVERY_SURVEY, on_recovery_completed)
