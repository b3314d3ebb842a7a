"""Customers arriving and leaving: follow, unfollow, and first contact."""

from __future__ import annotations

from datetime import datetime

from handlers.context import HandlerContext, Profile
from handlers.events import InboundEvent
from handlers.menu import menu_buttons
from handlers.replies import Outgoing, Text
from handlers.routing import Router
from storage import customers
from storage.models import Customer


def note_contact(customer: Customer, *, profile: Profile | None, now: datetime) -> None:
    """The sender wrote: keep a profile fetched for them and when they were last seen."""
    if profile is not None:
        customers.update_profile(customer, display_name=profile.display_name,
                                 picture_url=profile.picture_url, language=profile.language)
    customer.last_seen_at = now


def on_follow(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """Welcome a new (or returning) friend and show what the bot can do."""
    customer = ctx.customer
    if customer is None:
        return []
    returning = customer.first_followed_at is not None
    customers.mark_followed(customer, now=ctx.now)
    name = customer.display_name or ctx.t("customer.default_name")
    key = "welcome.returning" if returning else "welcome.new"
    return [Text(ctx.t(key, name=name), quick_replies=menu_buttons(ctx.t))]


def on_unfollow(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """Stop every push to a customer who blocked the account; there is no one to answer."""
    if ctx.customer is not None:
        customers.mark_unfollowed(ctx.customer, now=ctx.now)
    return []


def register(router: Router) -> None:
    """Attach the follow and unfollow handlers."""
    router.on_event("follow", on_follow)
    router.on_event("unfollow", on_unfollow)
