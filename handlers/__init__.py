"""Product logic: plain functions of (context, event) that return messages.

No Flask and no LINE SDK here: bot/ turns events into calls and replies into LINE messages.
"""

from __future__ import annotations

from handlers import broadcasts, complaints, customers, escalation, menu, referrals, staff, survey_cases, surveys
from handlers.routing import Router

MODULES = (customers, menu, referrals, surveys, staff, complaints, escalation, broadcasts, survey_cases)


def build_router() -> Router:
    """Build the router with every module's handlers attached."""
    router = Router()
    for module in MODULES:
        module.register(router)
    return router
