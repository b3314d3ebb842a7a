"""The help menu: the answer to anything no other handler claims."""

from __future__ import annotations

from handlers.actions import Action
from handlers.catalogue import Translator
from handlers.context import HandlerContext
from handlers.events import InboundEvent
from handlers.keywords import is_keyword
from handlers.replies import Button, Outgoing, Postback, Text
from handlers.routing import Router

MENU_ITEMS = ("survey", "referral", "rewards", "help")


def menu_buttons(t: Translator) -> tuple[Button, ...]:
    """Quick replies for the main things a customer can do; each sends its keyword."""
    buttons = [Button(label=t(f"menu.{item}.label"), text=t(f"menu.{item}.keyword"))
               for item in MENU_ITEMS if item != "help"]
    buttons.append(Button(label=t("menu.help.label"), postback=Postback(Action.HELP),
                          display_text=t("menu.help.keyword")))
    return tuple(buttons)


def help_reply(ctx: HandlerContext) -> list[Outgoing]:
    """The menu text with its quick-reply buttons."""
    return [Text(ctx.t("menu.help.text"), quick_replies=menu_buttons(ctx.t))]


def asks_for_menu(ctx: HandlerContext, text: str) -> bool:
    """選單 (or "menu"): handlers that take free text still let this one through to the menu."""
    return is_keyword(ctx.catalogue, text, "menu.help.keyword")


def on_any_message(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """Answer what nobody else understood with the menu; group chats get no menu."""
    if event.is_group:
        return None
    return help_reply(ctx)


def on_help(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """The menu, asked for by its button."""
    return help_reply(ctx)


def on_unknown_postback(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """A button we no longer know (an old card, a changed rich menu): answer politely."""
    if event.is_group:
        return [Text(ctx.t("postback.unknown"))]
    return [Text(ctx.t("postback.unknown"), quick_replies=menu_buttons(ctx.t))]


FALLBACK_PRIORITY = 1000


def register(router: Router) -> None:
    """Attach the menu as the last message handler and the unknown-postback answer."""
    router.on_message(FALLBACK_PRIORITY, on_any_message)
    router.on_postback(Action.HELP, on_help)
    router.unknown_postback = on_unknown_postback
