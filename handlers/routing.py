"""The router: which handler answers which event, postback action or text message."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.actions import Action
from handlers.context import HandlerContext
from handlers.events import InboundEvent
from handlers.jobs import Job, JobFunction
from handlers.replies import Outgoing

Handler = Callable[[HandlerContext, InboundEvent], list[Outgoing]]
MaybeHandler = Callable[[HandlerContext, InboundEvent], list[Outgoing] | None]
FollowUp = Callable[[HandlerContext, InboundEvent, list[Outgoing]], list[Outgoing]]
Preparer = Callable[[Mapping[str, str], InboundEvent], dict[Hashable, Any]]


@dataclass(frozen=True)
class _MessageRoute:
    priority: int
    name: str
    handler: MaybeHandler


class Router:
    """Routes by event type, by postback action, and through an ordered chain for messages.

    Message handlers are tried by priority; each returns None to let the next one try,
    so a survey in progress sees an answer before keyword and complaint handlers do.
    """

    def __init__(self) -> None:
        self._events: dict[str, Handler] = {}
        self._postbacks: dict[Action, Handler] = {}
        self._messages: list[_MessageRoute] = []
        self._follow_ups: list[FollowUp] = []
        self._preparers: list[Preparer] = []
        self.unknown_postback: Handler | None = None
        self.jobs: dict[str, Job] = {}

    def on_event(self, event_type: str, handler: Handler) -> None:
        """Handle every event of a type (follow, unfollow, join...)."""
        if event_type in self._events:  # a second module would silently take the first one's events
            raise ValueError(f"{event_type} events already have a handler")
        self._events[event_type] = handler

    def on_postback(self, action: Action, handler: Handler) -> None:
        """Handle a postback whose data carries this action."""
        if action in self._postbacks:
            raise ValueError(f"postback action {action} already has a handler")
        self._postbacks[action] = handler

    def on_message(self, priority: int, handler: MaybeHandler) -> None:
        """Offer message events to a handler; lower priority numbers are asked first."""
        self._messages.append(_MessageRoute(priority, handler.__qualname__, handler))
        self._messages.sort(key=lambda route: route.priority)

    def after_message(self, follow_up: FollowUp) -> None:
        """Let a module add to whatever answered a message (a survey asks its open question again)."""
        self._follow_ups.append(follow_up)

    def prepare(self, preparer: Preparer) -> None:
        """Work out something from the event alone before its transaction starts (slow, CPU-bound work).

        The result lands in ``ctx.memo``; the write lock is then held only for the database work.
        """
        self._preparers.append(preparer)

    def prepared(self, options: Mapping[str, str], event: InboundEvent) -> dict[Hashable, Any]:
        """Run every preparer on an event; what they return seeds the handlers' memo."""
        memo: dict[Hashable, Any] = {}
        for preparer in self._preparers:
            memo.update(preparer(options, event))
        return memo

    def every(self, minutes: int, name: str, job: JobFunction) -> None:
        """Run a periodic job every few minutes in the worker."""
        if name in self.jobs:
            raise ValueError(f"job {name} already registered")
        self.jobs[name] = Job(name=name, every_minutes=minutes, run=job)

    def message_chain(self) -> list[str]:
        """The message handlers in the order they are asked, for docs and tests."""
        return [route.name for route in self._messages]

    def route(self, ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
        """Run the handler that owns this event and return what it says."""
        if event.type == "message":
            answer = self._answer_message(ctx, event)
            for follow_up in self._follow_ups:
                answer = [*answer, *follow_up(ctx, event, answer)]
            return answer
        if event.type == "postback":
            handler = self._postbacks.get(event.postback.action) if event.postback else None
            handler = handler or self.unknown_postback
            return handler(ctx, event) if handler else []
        handler = self._events.get(event.type)
        return handler(ctx, event) if handler else []

    def _answer_message(self, ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
        for route in self._messages:
            answer = route.handler(ctx, event)
            if answer is not None:
                return answer
        return []
